-- The event log (io.drover.eventlog): fences, bucket reads, and the rows of the low-volume kinds.
-- See V15__event_log.sql for why events are read by fence and not by seq.

-- name: fences_from
-- The fence just before :fence (the lower bound of its bucket), then the fences from :fence on.
(SELECT fence, snapshot_xmin FROM event_fences WHERE fence < :fence ORDER BY fence DESC LIMIT 1)
UNION ALL
(SELECT fence, snapshot_xmin FROM event_fences WHERE fence >= :fence ORDER BY fence LIMIT :limit)
ORDER BY fence

-- name: latest_fence
SELECT fence, snapshot_xmin FROM event_fences ORDER BY fence DESC LIMIT 1

-- name: snapshot_xmin
-- The oldest transaction still running (or the next one when none runs): every lower id has finished.
SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint

-- name: insert_fence
-- One writer (FenceWriter, under an advisory lock), so max + 1 is the next fence; a fence never goes
-- back (a second writer that somehow raced would fail on the primary key, not write a lower xmin).
WITH f AS (
    INSERT INTO event_fences (fence, snapshot_xmin, made_at)
    SELECT coalesce(max(fence), 0) + 1, :xmin, coalesce(CAST(:now AS timestamptz), now()) FROM event_fences
    HAVING coalesce(max(snapshot_xmin), 0) < :xmin
    RETURNING fence
)
SELECT fence, pg_current_xact_id()::text::bigint, pg_notify('drover_event_fences', fence::text) FROM f

-- name: fence_lock
SELECT pg_try_advisory_lock(:key)

-- name: run_events_in
-- Run events of the buckets whose bounds are :bounds (bucket i: xid in [bounds[i], bounds[i+1])),
-- in (bucket, seq) order; in the first bucket only those after :after_seq. job_slug from the run
-- (by its primary key); the run may be gone (retention), then null.
SELECT width_bucket(e.xid, CAST(:bounds AS bigint[])) AS bucket, e.seq, e.project_id, e.run_id, e.type,
       e.from_status::text, e.to_status::text, e.attempt, e.message, e.data::text, e.created_at, e.id,
       r.job_slug, r.status::text
FROM run_events e LEFT JOIN runs r ON r.id = e.run_id
WHERE e.xid >= :lo AND e.xid < :hi
  AND (e.xid >= :first_hi OR e.seq > :after_seq)
  AND (CAST(:project_id AS uuid) IS NULL OR e.project_id = CAST(:project_id AS uuid))
ORDER BY 1, e.seq
LIMIT :limit

-- name: run_events_legacy
-- Fence 0: run events written before V15 (no xid), by seq.
SELECT 0 AS bucket, e.seq, e.project_id, e.run_id, e.type,
       e.from_status::text, e.to_status::text, e.attempt, e.message, e.data::text, e.created_at, e.id,
       r.job_slug, r.status::text
FROM run_events e LEFT JOIN runs r ON r.id = e.run_id
WHERE e.xid IS NULL AND e.seq > :after_seq
  AND (CAST(:project_id AS uuid) IS NULL OR e.project_id = CAST(:project_id AS uuid))
ORDER BY e.seq
LIMIT :limit

-- name: events_in
-- The same for the log_events table.
SELECT width_bucket(e.xid, CAST(:bounds AS bigint[])) AS bucket, e.seq, e.project_id, e.run_id, e.type,
       e.data::text, e.occurred_at
FROM log_events e
WHERE e.xid >= :lo AND e.xid < :hi
  AND (e.xid >= :first_hi OR e.seq > :after_seq)
  AND (CAST(:project_id AS uuid) IS NULL OR e.project_id = CAST(:project_id AS uuid))
ORDER BY 1, e.seq
LIMIT :limit

-- name: insert_event
INSERT INTO log_events (project_id, type, run_id, data, occurred_at)
VALUES (:project_id, :type, :run_id, CAST(:data AS jsonb), coalesce(CAST(:now AS timestamptz), now()))

-- name: workflow_run_event
-- A workflow run's status change, read back from the row the statement just changed.
INSERT INTO log_events (project_id, type, run_id, data, occurred_at)
SELECT w.project_id, 'workflow_run.' || w.status, w.id,
       jsonb_build_object('workflow_run_id', w.id, 'workflow', w.workflow_slug, 'version', w.version,
                          'status', w.status, 'parent_run_id', w.parent_run_id, 'error', w.error),
       now()
FROM workflow_runs w WHERE w.id = :workflow_run_id

-- name: workflow_step_events
-- Steps' status changes, read back from the rows the statement just changed.
INSERT INTO log_events (project_id, type, run_id, data, occurred_at)
SELECT s.project_id, 'workflow_step.' || s.status, s.workflow_run_id,
       jsonb_build_object('workflow_run_id', s.workflow_run_id, 'step_id', s.step_id, 'type', s.type,
                          'status', s.status, 'attempt', s.attempt, 'run_id', s.run_id,
                          'child_run_id', s.child_run_id, 'skip_reason', s.skip_reason),
       now()
FROM workflow_step_runs s
WHERE s.workflow_run_id = :workflow_run_id AND s.step_id = ANY(CAST(:step_ids AS text[]))

-- name: fence_session
-- The fence writer's connection waits at most this long for a table lock (brin_summarize_range takes
-- SHARE UPDATE EXCLUSIVE, which a running VACUUM holds): it skips the summary and tries later.
SET lock_timeout = '100ms'

-- name: summarize_run_events_xid
-- Summarizes the BRIN ranges (32 pages, V15) of run_events that filled since :from_block, all but
-- the last two ranges of the table: those still get inserts, and an insert into an unsummarized
-- range costs nothing, into a summarized one an update of the range's index tuple. Without this,
-- ranges wait for autovacuum (autosummarize: up to autovacuum_naptime), and every bucket read
-- scanned the whole unsummarized tail of the table: at 15k runs/s, a minute of events per read.
SELECT r, brin_summarize_range('run_events_xid', r)
FROM generate_series(CAST(:from_block AS bigint),
                     pg_relation_size('run_events') / current_setting('block_size')::int - 64, 32) r
