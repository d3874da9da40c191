-- Outbound webhooks (io.drover.webhooks). :now is SqlTime.now(clock): null means the database's clock.

-- name: insert_webhook
INSERT INTO webhooks (id, project_id, url, event_types, description, enabled, secret, created_at, updated_at)
VALUES (:id, :project_id, :url, :event_types, :description, :enabled, :secret,
        coalesce(CAST(:now AS timestamptz), now()), coalesce(CAST(:now AS timestamptz), now()))
RETURNING id, project_id, url, event_types, description, enabled, previous_expires_at, created_at, updated_at

-- name: list_webhooks
SELECT id, project_id, url, event_types, description, enabled, previous_expires_at, created_at, updated_at
FROM webhooks WHERE project_id = :project_id ORDER BY id

-- name: get_webhook
SELECT id, project_id, url, event_types, description, enabled, previous_expires_at, created_at, updated_at
FROM webhooks WHERE project_id = :project_id AND id = :id

-- name: update_webhook
UPDATE webhooks SET url = :url, event_types = :event_types, description = :description, enabled = :enabled,
       updated_at = coalesce(CAST(:now AS timestamptz), now())
WHERE project_id = :project_id AND id = :id
RETURNING id, project_id, url, event_types, description, enabled, previous_expires_at, created_at, updated_at

-- name: delete_webhook
-- Its deliveries go with it (ON DELETE CASCADE).
DELETE FROM webhooks WHERE project_id = :project_id AND id = :id RETURNING id, url

-- name: lock_secret
SELECT secret FROM webhooks WHERE project_id = :project_id AND id = :id FOR UPDATE

-- name: rotate_secret
-- The current secret becomes the previous one, which keeps signing until :grace_ms from now.
UPDATE webhooks SET previous_secret = secret, secret = :secret,
       previous_expires_at = coalesce(CAST(:now AS timestamptz), now()) + make_interval(secs => :grace_ms / 1000.0),
       updated_at = coalesce(CAST(:now AS timestamptz), now())
WHERE project_id = :project_id AND id = :id
RETURNING id, project_id, url, event_types, description, enabled, previous_expires_at, created_at, updated_at

-- name: list_deliveries
-- Newest first; :cursor (a delivery id) continues after a page; :status null lists every status.
SELECT id, webhook_id, event_id, event_type, status, attempts, next_attempt_at, last_status_code, last_error,
       created_at, delivered_at, run_id
FROM webhook_deliveries
WHERE webhook_id = :webhook_id AND project_id = :project_id
  AND (CAST(:status AS text) IS NULL OR status = CAST(:status AS text))
  AND (CAST(:cursor AS uuid) IS NULL OR id < CAST(:cursor AS uuid))
ORDER BY id DESC
LIMIT :limit

-- name: replay_delivery
-- A finished delivery goes back to pending, due now, with its attempts counted afresh.
UPDATE webhook_deliveries SET status = 'pending', attempts = 0,
       next_attempt_at = coalesce(CAST(:now AS timestamptz), now()), delivered_at = NULL, finished_at = NULL,
       last_error = NULL, last_status_code = NULL, lease_owner = NULL, lease_expires_at = NULL
WHERE project_id = :project_id AND id = :id AND status <> 'pending'
RETURNING id, webhook_id, event_id, event_type, status, attempts, next_attempt_at, last_status_code, last_error,
          created_at, delivered_at, run_id

-- name: get_delivery
SELECT id, webhook_id, event_id, event_type, status, attempts, next_attempt_at, last_status_code, last_error,
       created_at, delivered_at, run_id
FROM webhook_deliveries WHERE project_id = :project_id AND id = :id

-- name: try_singleton_lock
SELECT pg_try_advisory_xact_lock(:key)

-- name: lock_cursor
SELECT cursor FROM webhook_fanout_cursor WHERE singleton FOR UPDATE

-- name: move_cursor
UPDATE webhook_fanout_cursor SET cursor = :cursor, updated_at = now() WHERE singleton

-- name: any_enabled_webhook
-- Whether the fan-out has anyone to deliver to; with no enabled webhook anywhere it moves its cursor
-- to the log's head without reading the events (the log is read by no one then).
SELECT EXISTS (SELECT 1 FROM webhooks WHERE enabled)

-- name: enabled_webhooks
SELECT id, project_id, event_types FROM webhooks WHERE enabled AND project_id = ANY(:project_ids)

-- name: insert_deliveries
-- One row per (event, webhook), in event order (seq follows the order of the arrays). A row that
-- exists already (it cannot, short of a cursor moved by hand) is left as it is.
INSERT INTO webhook_deliveries (id, project_id, webhook_id, event_id, event_type, run_id, payload, next_attempt_at,
                                created_at)
SELECT d.id, d.project_id, d.webhook_id, d.event_id, d.event_type, d.run_id, CAST(d.payload AS jsonb),
       coalesce(CAST(:now AS timestamptz), now()), coalesce(CAST(:now AS timestamptz), now())
FROM unnest(CAST(:ids AS uuid[]), CAST(:project_ids AS uuid[]), CAST(:webhook_ids AS uuid[]),
            CAST(:event_ids AS text[]), CAST(:event_types AS text[]), CAST(:run_ids AS uuid[]),
            CAST(:payloads AS text[])) WITH ORDINALITY
     AS d (id, project_id, webhook_id, event_id, event_type, run_id, payload, n)
ORDER BY d.n
ON CONFLICT (webhook_id, event_id) DO NOTHING

-- name: take_due
-- Due pending deliveries of enabled webhooks, not held by a live lease (a lease moves
-- next_attempt_at to its end), and not behind an earlier pending delivery of the same run to the
-- same webhook. Each taken row is leased to :owner until :lease_ms from now and its attempt counted.
WITH due AS (
    SELECT d.id FROM webhook_deliveries d
    JOIN webhooks w ON w.id = d.webhook_id AND w.enabled
    WHERE d.status = 'pending' AND d.next_attempt_at <= coalesce(CAST(:now AS timestamptz), now())
      AND (d.run_id IS NULL OR NOT EXISTS (
            SELECT 1 FROM webhook_deliveries e
            WHERE e.webhook_id = d.webhook_id AND e.run_id = d.run_id AND e.status = 'pending' AND e.seq < d.seq))
    ORDER BY d.next_attempt_at
    LIMIT :batch
    FOR UPDATE OF d SKIP LOCKED
)
UPDATE webhook_deliveries d
SET lease_owner = :owner, attempts = d.attempts + 1,
    lease_expires_at = coalesce(CAST(:now AS timestamptz), now()) + make_interval(secs => :lease_ms / 1000.0),
    next_attempt_at = coalesce(CAST(:now AS timestamptz), now()) + make_interval(secs => :lease_ms / 1000.0)
FROM due, webhooks w
WHERE d.id = due.id AND w.id = d.webhook_id
RETURNING d.id, d.project_id, d.webhook_id, d.event_id, d.event_type, d.run_id, CAST(d.payload AS text), d.attempts,
          w.url, w.secret, CASE WHEN w.previous_expires_at > coalesce(CAST(:now AS timestamptz), now())
                                THEN w.previous_secret END

-- name: succeeded
UPDATE webhook_deliveries SET status = 'succeeded', last_status_code = :code, last_error = NULL,
       delivered_at = coalesce(CAST(:now AS timestamptz), now()), finished_at = coalesce(CAST(:now AS timestamptz), now()),
       lease_owner = NULL, lease_expires_at = NULL
WHERE id = :id AND status = 'pending' AND lease_owner = :owner AND attempts = :attempts

-- name: retry
-- The next attempt after the backoff. The later pending deliveries of the same run to the same
-- webhook wait for this one anyway: their next_attempt_at moves up to its, so that they do not sit
-- at the head of webhook_deliveries_due, where every take would step over them.
WITH moved AS (
    UPDATE webhook_deliveries SET last_status_code = :code, last_error = :error,
           next_attempt_at = coalesce(CAST(:now AS timestamptz), now()) + make_interval(secs => :delay_ms / 1000.0),
           lease_owner = NULL, lease_expires_at = NULL
    WHERE id = :id AND status = 'pending' AND lease_owner = :owner AND attempts = :attempts
    RETURNING webhook_id, run_id, seq, next_attempt_at
), behind AS (
    UPDATE webhook_deliveries e SET next_attempt_at = m.next_attempt_at
    FROM moved m
    WHERE m.run_id IS NOT NULL AND e.webhook_id = m.webhook_id AND e.run_id = m.run_id AND e.status = 'pending'
      AND e.seq > m.seq AND e.next_attempt_at < m.next_attempt_at
    RETURNING 1
)
SELECT (SELECT count(*) FROM moved), (SELECT count(*) FROM behind)

-- name: dead
UPDATE webhook_deliveries SET status = 'dead', last_status_code = :code, last_error = :error,
       finished_at = coalesce(CAST(:now AS timestamptz), now()), lease_owner = NULL, lease_expires_at = NULL
WHERE id = :id AND status = 'pending' AND lease_owner = :owner AND attempts = :attempts
RETURNING id, project_id, webhook_id, event_id, event_type, run_id, attempts, last_status_code, last_error

-- name: give_back
-- A send cut short by shutdown: due again at once, the attempt not counted.
UPDATE webhook_deliveries SET attempts = attempts - 1, next_attempt_at = coalesce(CAST(:now AS timestamptz), now()),
       lease_owner = NULL, lease_expires_at = NULL
WHERE id = :id AND status = 'pending' AND lease_owner = :owner AND attempts = :attempts

-- name: next_due
SELECT min(next_attempt_at) FROM webhook_deliveries WHERE status = 'pending'

-- name: delete_deliveries
-- Retention: succeeded and dead deliveries that finished before :cutoff.
WITH doomed AS (
    SELECT id FROM webhook_deliveries
    WHERE project_id = :project_id AND status IN ('succeeded', 'dead') AND finished_at < :cutoff
    ORDER BY finished_at
    LIMIT :batch
    FOR UPDATE SKIP LOCKED
)
DELETE FROM webhook_deliveries d USING doomed WHERE d.id = doomed.id

-- name: succeeded_batch
-- Successes of many sends in one statement (group commit), each guarded like succeeded.
UPDATE webhook_deliveries d SET status = 'succeeded', last_status_code = x.code, last_error = NULL,
       delivered_at = coalesce(CAST(:now AS timestamptz), now()), finished_at = coalesce(CAST(:now AS timestamptz), now()),
       lease_owner = NULL, lease_expires_at = NULL
FROM unnest(CAST(:ids AS uuid[]), CAST(:attempts AS int[]), CAST(:codes AS int[])) AS x (id, attempts, code)
WHERE d.id = x.id AND d.status = 'pending' AND d.lease_owner = :owner AND d.attempts = x.attempts
