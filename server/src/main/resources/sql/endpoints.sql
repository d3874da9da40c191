-- Endpoint health and circuit breakers (io.drover.endpoints). endpoint_circuits is global: one row
-- per scheme://host:port, shared by every project and node.

-- name: ensure
INSERT INTO endpoint_circuits (endpoint, updated_at)
VALUES (:endpoint, coalesce(CAST(:now AS timestamptz), now()))
ON CONFLICT (endpoint) DO NOTHING

-- name: lock
SELECT endpoint, circuit, samples, consecutive_failures, success_rate, timeout_rate, latency_ms, opened_at,
       open_until, probe_until, last_failure_at
FROM endpoint_circuits WHERE endpoint = :endpoint
FOR UPDATE

-- name: save
UPDATE endpoint_circuits
SET circuit = :circuit, samples = :samples, consecutive_failures = :consecutive_failures,
    success_rate = :success_rate, timeout_rate = :timeout_rate, latency_ms = :latency_ms, opened_at = :opened_at,
    open_until = :open_until, probe_until = :probe_until, last_failure_at = :last_failure_at,
    updated_at = coalesce(CAST(:now AS timestamptz), now())
WHERE endpoint = :endpoint

-- name: not_closed
-- The endpoints whose sends are held (or may go as one probe): few, usually none.
SELECT endpoint, circuit, samples, consecutive_failures, success_rate, timeout_rate, latency_ms, opened_at,
       open_until, probe_until, last_failure_at
FROM endpoint_circuits WHERE circuit <> 'closed'

-- name: states
SELECT endpoint, circuit, samples, consecutive_failures, success_rate, timeout_rate, latency_ms, opened_at,
       open_until, probe_until, last_failure_at
FROM endpoint_circuits WHERE endpoint = ANY (:endpoints::text[])

-- name: claim_probe
-- One half-open probe at a time, across nodes: an open circuit whose interval is over, or a
-- half-open one whose probe ran out of time, is claimed by exactly one caller.
UPDATE endpoint_circuits e
SET circuit = 'half_open', probe_until = coalesce(CAST(:now AS timestamptz), now()) + :probe_ms * interval '1 millisecond',
    updated_at = coalesce(CAST(:now AS timestamptz), now())
FROM (SELECT endpoint, circuit FROM endpoint_circuits WHERE endpoint = :endpoint FOR UPDATE) before
WHERE e.endpoint = before.endpoint
  AND ((e.circuit = 'open' AND e.open_until <= coalesce(CAST(:now AS timestamptz), now()))
       OR (e.circuit = 'half_open' AND (e.probe_until IS NULL OR e.probe_until <= coalesce(CAST(:now AS timestamptz), now()))))
RETURNING before.circuit

-- name: release_probe
-- A claimed probe that found nothing to send: the next caller may probe at once.
UPDATE endpoint_circuits SET probe_until = NULL
WHERE endpoint = :endpoint AND circuit = 'half_open'

-- name: http_job_versions
-- Every version of every http job with its endpoint_url: which queued push runs an endpoint holds.
-- Read only while some circuit is not closed.
SELECT v.job_id, v.version, v.spec ->> 'endpoint_url'
FROM job_versions v JOIN jobs j ON j.id = v.job_id
WHERE j.execution = 'http'

-- name: project_push_urls
-- The endpoint URLs of a project's http jobs (current versions), for GET /v1/endpoints.
SELECT DISTINCT spec ->> 'endpoint_url' FROM jobs
WHERE project_id = :project_id AND execution = 'http' AND deleted_at IS NULL

-- name: http_job_urls
-- Every project's http jobs and their URLs (current versions): which projects hear of a circuit
-- change (CircuitEvents). Read only when a circuit changes, which is rare.
SELECT DISTINCT project_id, spec ->> 'endpoint_url' FROM jobs
WHERE execution = 'http' AND deleted_at IS NULL
