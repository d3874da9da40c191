-- Batch cancel and replay (V21, batches). FILTER is replaced by the filter's predicate over runs
-- (BatchStore), the same in the count the caller confirms and in each chunk the worker changes.

-- name: count_matching
SELECT count(*) FROM runs WHERE FILTER AND id <= :upper_id

-- name: insert_batch
INSERT INTO batches (id, project_id, kind, filter, status, matched, upper_id, created_by, done, finished_at)
VALUES (:id, :project_id, :kind, :filter::jsonb, :status, :matched, :upper_id, :created_by, 0,
        CASE WHEN :status = 'done' THEN now() END)
RETURNING BATCH_COLUMNS

-- name: get_batch
SELECT BATCH_COLUMNS FROM batches WHERE id = :id AND project_id = :project_id

-- name: take_batch
-- The oldest unfinished batch that no other node is working on now: its row stays locked for the
-- chunk's transaction, so two nodes never change the same chunk; a node that dies lets go of it
-- with its connection, and the next pass (of any node) goes on after last_run_id.
SELECT BATCH_COLUMNS FROM batches WHERE status <> 'done' ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED

-- name: next_chunk
-- The next runs of the batch by id, read without a lock: each is then locked SKIP LOCKED and
-- changed on its own (BatchWorker), so a claim or a completion never waits on this read.
SELECT id, status::text FROM runs
WHERE FILTER AND id <= :upper_id AND id > coalesce(CAST(:after_id AS uuid), '00000000-0000-0000-0000-000000000000')
ORDER BY id
LIMIT :chunk

-- name: progress
-- A finished batch counts as failed every matched run it did not change, also those it never met:
-- runs that left the filter before their chunk (claimed, finished, changed by someone else).
UPDATE batches
SET done = done + :done,
    failed = CASE WHEN :status = 'done' THEN greatest(failed + :failed, matched - (done + :done))
                  ELSE failed + :failed END,
    last_run_id = coalesce(CAST(:last_run_id AS uuid), last_run_id),
    status = :status, updated_at = now(), finished_at = CASE WHEN :status = 'done' THEN now() END
WHERE id = :id

-- name: delete_batches
-- Retention: finished batches older than the project's window, a batch at a time.
DELETE FROM batches
WHERE id IN (SELECT id FROM batches
             WHERE project_id = :project_id AND status = 'done' AND finished_at < :cutoff
             ORDER BY finished_at
             LIMIT :batch
             FOR UPDATE SKIP LOCKED)
