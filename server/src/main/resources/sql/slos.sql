-- Service level objectives (V27): definitions, their last evaluation, and the history.

-- name: insert_slo
INSERT INTO slos (id, project_id, job_id, name, metric, target, window_days, created_at)
VALUES (:id, :project_id, :job_id, :name, :metric, :target, :window_days, coalesce(CAST(:now AS timestamptz), now()))
ON CONFLICT (project_id, job_id, name) DO NOTHING

-- name: get_slo
SELECT SLO_COLUMNS FROM slos s JOIN jobs j ON j.id = s.job_id
WHERE s.project_id = :project_id AND s.id = :id

-- name: list_slos
-- Newest first; :cursor continues after a page; :job_id null lists the SLOs of every job.
SELECT SLO_COLUMNS FROM slos s JOIN jobs j ON j.id = s.job_id
WHERE s.project_id = :project_id
  AND (CAST(:job_id AS uuid) IS NULL OR s.job_id = CAST(:job_id AS uuid))
  AND (CAST(:cursor AS uuid) IS NULL OR s.id < CAST(:cursor AS uuid))
ORDER BY s.id DESC
LIMIT :limit

-- name: delete_slo
DELETE FROM slos WHERE project_id = :project_id AND id = :id

-- name: delete_job_slos
-- A job was (soft) deleted: its SLOs go with it, their history by the cascade.
DELETE FROM slos WHERE job_id = :job_id

-- name: try_singleton_lock
SELECT pg_try_advisory_xact_lock(:key)

-- name: due_slos
-- One page of every project's SLOs for the evaluation pass, by id; the rows stay locked to the
-- pass's transaction so that a concurrent DELETE waits for it instead of racing the update.
SELECT SLO_COLUMNS FROM slos s JOIN jobs j ON j.id = s.job_id
WHERE (CAST(:after AS uuid) IS NULL OR s.id > CAST(:after AS uuid))
ORDER BY s.id
LIMIT :limit
FOR NO KEY UPDATE OF s

-- name: job_hours
-- The hourly rollup rows of a window (the primary key's range): nothing reads the runs table.
SELECT hour, completed, failed, other, duration_buckets
FROM job_hourly
WHERE project_id = :project_id AND job_id = :job_id AND hour >= :since AND hour < :until

-- name: update_slo
UPDATE slos SET status = :status, current_value = :current_value, budget_remaining = :budget_remaining,
                burn_rate_1h = :burn_rate_1h, burn_rate_6h = :burn_rate_6h, evaluated_at = :evaluated_at
WHERE id = :id

-- name: insert_evaluation
INSERT INTO slo_evaluations (id, project_id, slo_id, evaluated_at, status, current_value, budget_remaining,
                             burn_rate_1h, burn_rate_6h, window_runs, window_bad)
VALUES (:id, :project_id, :slo_id, :evaluated_at, :status, :current_value, :budget_remaining, :burn_rate_1h,
        :burn_rate_6h, :window_runs, :window_bad)

-- name: list_evaluations
-- Newest first (UUIDv7 ids follow insertion); :cursor continues after a page.
SELECT id, evaluated_at, status, current_value, budget_remaining, burn_rate_1h, burn_rate_6h, window_runs,
       window_bad
FROM slo_evaluations
WHERE slo_id = :slo_id AND project_id = :project_id
  AND (CAST(:cursor AS uuid) IS NULL OR id < CAST(:cursor AS uuid))
ORDER BY id DESC
LIMIT :limit

-- name: delete_evaluations
-- Retention: evaluations made before :cutoff (the SLOs themselves stay).
WITH doomed AS (
    SELECT id FROM slo_evaluations
    WHERE project_id = :project_id AND evaluated_at < :cutoff
    ORDER BY evaluated_at
    LIMIT :batch
)
DELETE FROM slo_evaluations e USING doomed WHERE e.id = doomed.id
