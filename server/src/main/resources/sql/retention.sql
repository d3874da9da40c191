-- The retention pass (io.drover.retention.RetentionPass). Every delete takes at most :batch rows of
-- one kind and commits; the pass repeats it until a batch comes back short. Candidates are locked
-- FOR UPDATE SKIP LOCKED: a row some other transaction holds (a late completion, a replay) is left
-- for the next pass instead of waited for, and nothing here touches a row the claim path locks
-- (claims lock queued runs; these are finished ones). :cutoff is the start of the window: rows
-- that finished before it go.

-- name: projects
-- Projects that keep a window for runs or for the audit log; the others keep everything.
SELECT id,
       CASE WHEN jsonb_typeof(settings -> 'retention_days') = 'number'
            THEN (settings ->> 'retention_days')::int END AS retention_days,
       CASE WHEN jsonb_typeof(settings -> 'audit_retention_days') = 'number'
            THEN (settings ->> 'audit_retention_days')::int END AS audit_retention_days
FROM projects
WHERE (CAST(:project_id AS uuid) IS NULL OR id = CAST(:project_id AS uuid))

-- name: cutoff
SELECT coalesce(CAST(:now AS timestamptz), now()) - make_interval(days => :days)

-- name: delete_runs
-- Finished runs outside a workflow (or whose workflow run is gone), with their events and list
-- rows. A workflow's job runs go with their workflow run (delete_workflow_runs), so a workflow
-- run never loses a step's run while it is kept. The status list is RunStatus's terminal states
-- and matches the partial index runs_retention.
WITH doomed AS (
    SELECT r.id FROM runs r
    WHERE r.project_id = :project_id
      AND r.status IN ('completed', 'failed', 'timed_out', 'crashed', 'system_failed', 'canceled', 'expired')
      AND r.finished_at < :cutoff
      AND (r.workflow_run_id IS NULL
           OR NOT EXISTS (SELECT 1 FROM workflow_runs w WHERE w.id = r.workflow_run_id))
    ORDER BY r.finished_at
    LIMIT :batch
    FOR UPDATE OF r SKIP LOCKED
), events AS (
    -- :events_from: the events of runs with lower ids are left to the partition that holds them,
    -- dropped whole once its runs are gone (EventPartitions); the nil uuid deletes them all here
    DELETE FROM run_events e USING doomed d
    WHERE e.run_id = d.id AND d.id >= CAST(:events_from AS uuid) RETURNING 1
), listed AS (
    DELETE FROM run_list l USING doomed d WHERE l.project_id = :project_id AND l.id = d.id RETURNING 1
), checkpoints AS (
    DELETE FROM run_checkpoints k USING doomed d WHERE k.run_id = d.id RETURNING 1
), tool_calls AS (
    DELETE FROM run_tool_calls t USING doomed d WHERE t.run_id = d.id RETURNING 1
), run_waits AS (
    DELETE FROM event_triggers t USING doomed d WHERE t.run_id = d.id RETURNING 1
), gone AS (
    DELETE FROM runs r USING doomed d WHERE r.id = d.id RETURNING 1
)
SELECT (SELECT count(*) FROM gone), (SELECT count(*) FROM events), (SELECT count(*) FROM listed),
       (SELECT count(*) FROM checkpoints), (SELECT count(*) FROM tool_calls), (SELECT count(*) FROM run_waits)

-- name: delete_workflow_runs
-- Finished workflow runs with everything that hangs off them: step runs, decisions, approvals and
-- event waits, and their job runs with those runs' events and list rows. Left alone: a workflow
-- run one of whose job runs is not finished (a dead letter, say), and a sub-workflow whose parent
-- is still running (the parent's step points at it).
WITH doomed AS (
    SELECT w.id FROM workflow_runs w
    WHERE w.project_id = :project_id
      AND w.finished_at IS NOT NULL
      AND w.finished_at < :cutoff
      AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.workflow_run_id = w.id
                      AND r.status NOT IN ('completed', 'failed', 'timed_out', 'crashed', 'system_failed',
                                           'canceled', 'expired'))
      AND (w.parent_run_id IS NULL
           OR NOT EXISTS (SELECT 1 FROM workflow_runs p WHERE p.id = w.parent_run_id AND p.finished_at IS NULL))
    ORDER BY w.finished_at
    LIMIT :batch
    FOR UPDATE OF w SKIP LOCKED
), job_runs AS (
    SELECT r.id FROM runs r JOIN doomed d ON r.workflow_run_id = d.id
), events AS (
    DELETE FROM run_events e USING job_runs j
    WHERE e.run_id = j.id AND j.id >= CAST(:events_from AS uuid) RETURNING 1
), listed AS (
    DELETE FROM run_list l USING job_runs j WHERE l.project_id = :project_id AND l.id = j.id RETURNING 1
), runs_gone AS (
    DELETE FROM runs r USING job_runs j WHERE r.id = j.id RETURNING 1
), checkpoints AS (
    DELETE FROM run_checkpoints k USING job_runs j WHERE k.run_id = j.id RETURNING 1
), tool_calls AS (
    DELETE FROM run_tool_calls t USING job_runs j WHERE t.run_id = j.id RETURNING 1
), steps AS (
    DELETE FROM workflow_step_runs s USING doomed d WHERE s.workflow_run_id = d.id RETURNING 1
), decisions AS (
    DELETE FROM workflow_step_decisions x USING doomed d WHERE x.workflow_run_id = d.id RETURNING 1
), approvals_gone AS (
    DELETE FROM approvals a USING doomed d WHERE a.workflow_run_id = d.id RETURNING 1
), triggers_gone AS (
    DELETE FROM event_triggers t USING doomed d WHERE t.workflow_run_id = d.id RETURNING 1
), gone AS (
    DELETE FROM workflow_runs w USING doomed d WHERE w.id = d.id RETURNING 1
)
SELECT (SELECT count(*) FROM gone), (SELECT count(*) FROM steps), (SELECT count(*) FROM decisions),
       (SELECT count(*) FROM approvals_gone), (SELECT count(*) FROM triggers_gone),
       (SELECT count(*) FROM runs_gone), (SELECT count(*) FROM events), (SELECT count(*) FROM listed),
       (SELECT count(*) FROM checkpoints), (SELECT count(*) FROM tool_calls)

-- name: delete_schedule_ticks
-- The record of a schedule's fire times older than the window (the ticker only looks at times
-- after the schedule's last fire, so an old tick is history only).
DELETE FROM schedule_ticks t
WHERE (t.schedule_id, t.fire_at) IN (
    SELECT k.schedule_id, k.fire_at FROM schedule_ticks k JOIN schedules s ON s.id = k.schedule_id
    WHERE s.project_id = :project_id AND k.fire_at < :cutoff
    LIMIT :batch
    FOR UPDATE OF k SKIP LOCKED)

-- name: delete_orphan_ticks
-- Global housekeeping: ticks of schedules that no longer exist, older than :cutoff.
DELETE FROM schedule_ticks t
WHERE (t.schedule_id, t.fire_at) IN (
    SELECT k.schedule_id, k.fire_at FROM schedule_ticks k
    WHERE k.fire_at < :cutoff AND NOT EXISTS (SELECT 1 FROM schedules s WHERE s.id = k.schedule_id)
    LIMIT :batch
    FOR UPDATE OF k SKIP LOCKED)

-- name: delete_sessions
-- Global housekeeping: sessions past their (sliding) expiry can never be used again.
DELETE FROM sessions WHERE id IN (
    SELECT id FROM sessions WHERE expires_at < coalesce(CAST(:now AS timestamptz), now())
    LIMIT :batch FOR UPDATE SKIP LOCKED)

-- name: delete_invitations
-- Global housekeeping: invitations accepted, revoked or expired.
DELETE FROM invitations WHERE id IN (
    SELECT id FROM invitations
    WHERE accepted_at IS NOT NULL OR revoked_at IS NOT NULL
       OR expires_at < coalesce(CAST(:now AS timestamptz), now())
    LIMIT :batch FOR UPDATE SKIP LOCKED)

-- name: delete_password_resets
-- Global housekeeping: password resets used or expired.
DELETE FROM password_resets WHERE id IN (
    SELECT id FROM password_resets
    WHERE used_at IS NOT NULL OR expires_at < coalesce(CAST(:now AS timestamptz), now())
    LIMIT :batch FOR UPDATE SKIP LOCKED)

-- name: delete_login_failures
-- Global housekeeping: failure counters whose window (LoginThrottle.WINDOW_SECS) and lock are over.
DELETE FROM login_failures WHERE key IN (
    SELECT key FROM login_failures
    WHERE window_start < coalesce(CAST(:now AS timestamptz), now()) - make_interval(secs => :window_secs)
      AND (locked_until IS NULL OR locked_until < coalesce(CAST(:now AS timestamptz), now()))
    LIMIT :batch FOR UPDATE SKIP LOCKED)

-- name: event_partitions
-- The partitions of run_events (V17) with their bounds: "FOR VALUES FROM (...) TO (...)" or "DEFAULT".
SELECT c.relname, pg_get_expr(c.relpartbound, c.oid)
FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = 'run_events'::regclass

-- name: event_partition_exists
SELECT EXISTS (SELECT 1 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
               WHERE i.inhparent = 'run_events'::regclass AND c.relname = :name)

-- name: event_partition_has_runs
-- Whether any run has an id in a partition's range (a range scan of runs_pkey).
SELECT EXISTS (SELECT 1 FROM runs WHERE id >= CAST(:lo AS uuid) AND id < CAST(:hi AS uuid))

-- name: event_partition_keeps
-- Whether a run with an id in a partition's range outlives a retention pass at :now: not finished,
-- in a project without retention_days, finished inside its project's window, or the job run of a
-- workflow run that is not finished or inside the window (delete_runs and delete_workflow_runs
-- leave those). A run without a project row is kept too (nothing here deletes it).
SELECT EXISTS (
    SELECT 1 FROM runs r
    LEFT JOIN projects p ON p.id = r.project_id
    LEFT JOIN workflow_runs w ON w.id = r.workflow_run_id
    WHERE r.id >= CAST(:lo AS uuid) AND r.id < CAST(:hi AS uuid)
      AND NOT coalesce(
            r.status IN ('completed', 'failed', 'timed_out', 'crashed', 'system_failed', 'canceled', 'expired')
            AND jsonb_typeof(p.settings -> 'retention_days') = 'number'
            AND r.finished_at < CAST(:now AS timestamptz) - make_interval(days => (p.settings ->> 'retention_days')::int)
            AND (w.id IS NULL
                 OR (w.finished_at IS NOT NULL
                     AND w.finished_at < CAST(:now AS timestamptz)
                                         - make_interval(days => (p.settings ->> 'retention_days')::int))),
            false))

-- name: try_singleton_lock
-- One node runs the hourly pass: a transaction-level advisory lock held on a dedicated connection
-- for the pass's whole length.
SELECT pg_try_advisory_xact_lock(:key)

-- name: delete_log_events
-- The event log's low-volume events of one project (V15) older than the window (run events go
-- with their runs).
DELETE FROM log_events WHERE seq IN (
    SELECT seq FROM log_events WHERE project_id = :project_id AND occurred_at < :cutoff
    ORDER BY occurred_at LIMIT :batch FOR UPDATE SKIP LOCKED)

-- name: delete_event_fences
-- The event log's fences older than the window, never the newest (it bounds what has been read).
-- The oldest kept fence's bucket then starts at the log's beginning (EventLog).
DELETE FROM event_fences WHERE fence IN (
    SELECT fence FROM event_fences
    WHERE made_at < :cutoff AND fence < (SELECT max(fence) FROM event_fences)
    ORDER BY fence LIMIT :batch)
