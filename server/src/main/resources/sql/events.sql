-- Durable event waits (event_triggers), sent events (events) and approvals, always in a caller's
-- transaction. An approval is read as id, project_id, workflow_run_id, step_id, action,
-- details::text, risk_level, status, comment, resolved_by, continuation_event, expires_at,
-- created_at, resolved_at (Approval.map reads by position).

-- name: insert_wait
INSERT INTO event_triggers (id, project_id, event_key, status, workflow_run_id, step_id, expires_at)
VALUES (:id, :project_id, :event_key, 'waiting', :workflow_run_id, :step_id, :expires_at)

-- name: sent_event
-- The payload already sent for a key (JSON text, 'null' for a null payload).
SELECT coalesce(payload::text, 'null') FROM events WHERE project_id = :project_id AND event_key = :event_key

-- name: insert_event
-- The first payload for a key wins; a repeat inserts nothing and reads it with sent_event_for_update.
INSERT INTO events (project_id, event_key, payload) VALUES (:project_id, :event_key, :payload::jsonb)
ON CONFLICT (project_id, event_key) DO NOTHING

-- name: sent_event_for_update
SELECT coalesce(payload::text, 'null') FROM events WHERE project_id = :project_id AND event_key = :event_key
FOR UPDATE

-- name: resolve_waits
-- run_id: a plain run's wait (POST /v1/runs/{id}/wait with event_key) rather than a workflow step's.
UPDATE event_triggers SET status = 'resolved', payload = :payload::jsonb, resolved_at = now()
WHERE project_id = :project_id AND status = 'waiting' AND event_key = :event_key
RETURNING workflow_run_id, step_id, event_key, run_id

-- name: resolve_waits_by_prefix
-- :prefix is a LIKE pattern whose wildcards the caller escaped, with % at its end.
UPDATE event_triggers SET status = 'resolved', payload = :payload::jsonb, resolved_at = now()
WHERE project_id = :project_id AND status = 'waiting' AND event_key LIKE :prefix ESCAPE '\'
RETURNING workflow_run_id, step_id, event_key, run_id

-- name: event_key_lock
-- A send by key and a plain run's wait for that key take this lock first (sql/run_records.sql has
-- the same one), so that the wait either sees the event or is resolved by the send.
SELECT pg_advisory_xact_lock(hashtextextended(:project_id || '/' || :event_key, 18))

-- name: settle_waits
-- The waits of a workflow run, or of one of its steps (:step_id not null).
UPDATE event_triggers SET status = :status, resolved_at = now()
WHERE workflow_run_id = :workflow_run_id AND status = 'waiting' AND (:step_id::text IS NULL OR step_id = :step_id)

-- name: insert_approval
INSERT INTO approvals (id, project_id, workflow_run_id, step_id, action, details, risk_level,
                       continuation_event, expires_at)
VALUES (:id, :project_id, :workflow_run_id, :step_id, :action, :details::jsonb, :risk_level,
        :continuation_event, :expires_at)
RETURNING id, project_id, workflow_run_id, step_id, action, details::text, risk_level,
          status, comment, resolved_by, continuation_event, expires_at, created_at, resolved_at

-- name: settle_step_approvals
-- The pending approvals of a workflow run, or of one of its steps (:step_id not null).
UPDATE approvals SET status = :status, comment = :comment, resolved_by = :resolved_by, resolved_at = now()
WHERE workflow_run_id = :workflow_run_id AND status = 'pending' AND (:step_id::text IS NULL OR step_id = :step_id)
RETURNING id, project_id, workflow_run_id, step_id, action, details::text, risk_level,
          status, comment, resolved_by, continuation_event, expires_at, created_at, resolved_at

-- name: resolve_approval
-- A pending standalone request (no workflow run).
UPDATE approvals SET status = :status, comment = :comment, resolved_by = :resolved_by, resolved_at = now()
WHERE id = :id AND project_id = :project_id AND status = 'pending' AND workflow_run_id IS NULL
RETURNING id, project_id, workflow_run_id, step_id, action, details::text, risk_level,
          status, comment, resolved_by, continuation_event, expires_at, created_at, resolved_at

-- name: expired_approvals
-- Standalone requests past their expiry, locked for the timer service.
SELECT id, project_id, workflow_run_id, step_id, action, details::text, risk_level,
       status, comment, resolved_by, continuation_event, expires_at, created_at, resolved_at
FROM approvals WHERE status = 'pending' AND workflow_run_id IS NULL AND expires_at <= coalesce(CAST(:now AS timestamptz), now())
ORDER BY expires_at LIMIT :limit FOR UPDATE SKIP LOCKED

-- name: approval
SELECT id, project_id, workflow_run_id, step_id, action, details::text, risk_level,
       status, comment, resolved_by, continuation_event, expires_at, created_at, resolved_at
FROM approvals WHERE id = :id AND project_id = :project_id

-- name: list_approvals
-- Newest first; a null :status lists every status, :cursor is the last id of the previous page.
SELECT id, project_id, workflow_run_id, step_id, action, details::text, risk_level,
       status, comment, resolved_by, continuation_event, expires_at, created_at, resolved_at
FROM approvals WHERE project_id = :project_id AND (:status::text IS NULL OR status = :status)
  AND (:cursor::uuid IS NULL OR id < :cursor) ORDER BY id DESC LIMIT :limit
