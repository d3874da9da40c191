-- Log drains (io.drover.drains). :now is SqlTime.now(clock): null means the database's clock.

-- name: insert_drain
INSERT INTO log_drains (id, project_id, url, event_types, format, enabled, secret, cursor, next_attempt_at,
                        created_at, updated_at)
VALUES (:id, :project_id, :url, :event_types, :format, :enabled, :secret, :cursor,
        coalesce(CAST(:now AS timestamptz), now()), coalesce(CAST(:now AS timestamptz), now()),
        coalesce(CAST(:now AS timestamptz), now()))
RETURNING id, project_id, url, event_types, format, enabled, attempts, last_status_code, last_error, last_sent_at,
          created_at, updated_at

-- name: list_drains
SELECT id, project_id, url, event_types, format, enabled, attempts, last_status_code, last_error, last_sent_at,
       created_at, updated_at
FROM log_drains WHERE project_id = :project_id ORDER BY id

-- name: get_drain
SELECT id, project_id, url, event_types, format, enabled, attempts, last_status_code, last_error, last_sent_at,
       created_at, updated_at
FROM log_drains WHERE project_id = :project_id AND id = :id

-- name: set_enabled
UPDATE log_drains SET enabled = :enabled, updated_at = coalesce(CAST(:now AS timestamptz), now())
WHERE project_id = :project_id AND id = :id
RETURNING id, project_id, url, event_types, format, enabled, attempts, last_status_code, last_error, last_sent_at,
          created_at, updated_at

-- name: delete_drain
-- Its batch records go with it (ON DELETE CASCADE).
DELETE FROM log_drains WHERE project_id = :project_id AND id = :id RETURNING id, url

-- name: try_singleton_lock
SELECT pg_try_advisory_xact_lock(:key)

-- name: due_drains
-- Enabled drains whose next batch (or its retry) is due and that no live lease holds (a lease moves
-- next_attempt_at to its end, so a node that died sending leaves a drain that is due again).
SELECT id, project_id, url, event_types, cursor, batch_end, attempts, secret
FROM log_drains
WHERE enabled AND next_attempt_at <= coalesce(CAST(:now AS timestamptz), now())
ORDER BY next_attempt_at
LIMIT :limit
FOR UPDATE SKIP LOCKED

-- name: skip_to
-- Nothing to send up to :cursor (no matching event): the cursor moves on without a request.
UPDATE log_drains SET cursor = :cursor WHERE id = :id AND batch_end IS NULL

-- name: lease
-- One attempt of the batch that ends at :batch_end, leased to :owner until :lease_ms from now.
UPDATE log_drains SET batch_end = :batch_end, attempts = attempts + 1, lease_owner = :owner,
       lease_expires_at = coalesce(CAST(:now AS timestamptz), now()) + make_interval(secs => :lease_ms / 1000.0),
       next_attempt_at = coalesce(CAST(:now AS timestamptz), now()) + make_interval(secs => :lease_ms / 1000.0)
WHERE id = :id
RETURNING attempts

-- name: finish_batch
-- The batch is done (answered 2xx, or dead): the cursor moves past it and the next batch is due now.
UPDATE log_drains SET cursor = batch_end, batch_end = NULL, attempts = 0, last_status_code = :code,
       last_error = :error, last_sent_at = CASE WHEN CAST(:sent AS boolean) THEN coalesce(CAST(:now AS timestamptz), now())
                                                ELSE last_sent_at END,
       next_attempt_at = coalesce(CAST(:now AS timestamptz), now()), lease_owner = NULL, lease_expires_at = NULL
WHERE id = :id AND lease_owner = :owner AND attempts = :attempts AND batch_end IS NOT NULL
RETURNING project_id

-- name: retry
-- The same batch again after the backoff.
UPDATE log_drains SET last_status_code = :code, last_error = :error,
       next_attempt_at = coalesce(CAST(:now AS timestamptz), now()) + make_interval(secs => :delay_ms / 1000.0),
       lease_owner = NULL, lease_expires_at = NULL
WHERE id = :id AND lease_owner = :owner AND attempts = :attempts

-- name: give_back
-- A send cut short by shutdown: due again at once, the attempt not counted.
UPDATE log_drains SET attempts = attempts - 1, next_attempt_at = coalesce(CAST(:now AS timestamptz), now()),
       lease_owner = NULL, lease_expires_at = NULL
WHERE id = :id AND lease_owner = :owner AND attempts = :attempts

-- name: insert_batch
INSERT INTO log_drain_batches (id, project_id, drain_id, webhook_id, first_event_id, last_event_id, events, status,
                               attempts, last_status_code, last_error, finished_at)
VALUES (:id, :project_id, :drain_id, :webhook_id, :first_event_id, :last_event_id, :events, :status, :attempts,
        :code, :error, coalesce(CAST(:now AS timestamptz), now()))

-- name: list_batches
-- Newest first; :cursor (a batch id) continues after a page; :status null lists both.
SELECT id, drain_id, webhook_id, first_event_id, last_event_id, events, status, attempts, last_status_code,
       last_error, finished_at
FROM log_drain_batches
WHERE drain_id = :drain_id AND project_id = :project_id
  AND (CAST(:status AS text) IS NULL OR status = CAST(:status AS text))
  AND (CAST(:cursor AS uuid) IS NULL OR id < CAST(:cursor AS uuid))
ORDER BY id DESC
LIMIT :limit

-- name: next_due
SELECT min(next_attempt_at) FROM log_drains WHERE enabled

-- name: delete_batches
-- Retention: batch records that finished before :cutoff.
WITH doomed AS (
    SELECT id FROM log_drain_batches
    WHERE project_id = :project_id AND finished_at < :cutoff
    ORDER BY finished_at
    LIMIT :batch
    FOR UPDATE SKIP LOCKED
)
DELETE FROM log_drain_batches b USING doomed WHERE b.id = doomed.id

-- name: skip_batch
-- A pending batch none of whose events can be read any more (pruned by retention): passed over.
UPDATE log_drains SET cursor = batch_end, batch_end = NULL, attempts = 0, lease_owner = NULL, lease_expires_at = NULL,
       next_attempt_at = coalesce(CAST(:now AS timestamptz), now())
WHERE id = :id AND batch_end IS NOT NULL
