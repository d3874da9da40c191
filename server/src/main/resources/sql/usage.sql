-- AI usage, prices and budgets (io.drover.usage). :now is SqlTime.now(clock): null means the
-- database's clock.

-- name: add_run_cost
-- The usage transaction's first write: the run's total grows and its row stays locked until the
-- commit, so two records of one run add up and a cancel for overrun sees the new total. The holder
-- check is made on what it returns (a refusal rolls the addition back).
-- first: the run had no usage before (its cost was null), for the rollup's count of runs.
WITH old AS (
    SELECT id, cost_microusd IS NULL AS first FROM runs WHERE id = :run_id AND project_id = :project_id FOR UPDATE
)
UPDATE runs r SET cost_microusd = coalesce(r.cost_microusd, 0) + :cost
FROM old WHERE r.id = old.id
RETURNING r.cost_microusd, r.status::text, r.worker_id, r.job_id, r.attempt, old.first, r.job_slug

-- name: insert_usage
INSERT INTO usage_records (id, project_id, run_id, job_id, worker_id, provider, model, input_tokens, output_tokens,
                           cached_input_tokens, cost_microusd, price_source, input_microusd_per_mtok,
                           output_microusd_per_mtok, cached_input_microusd_per_mtok, recorded_at)
VALUES (:id, :project_id, :run_id, :job_id, :worker_id, :provider, :model, :input_tokens, :output_tokens,
        :cached_input_tokens, :cost, :price_source, :input_price, :output_price, :cached_price,
        coalesce(CAST(:now AS timestamptz), now()))

-- name: add_usage_hourly
-- The hourly rollup, in the usage transaction: the hour is that of recorded_at (the same
-- coalesce(:now, now()), and now() is the transaction's start), so the rollup always equals a
-- recomputation from the raw rows that are still there.
INSERT INTO usage_hourly (project_id, hour, job_id, provider, model, records, runs, input_tokens, output_tokens,
                          cached_input_tokens, cost_microusd)
VALUES (:project_id, date_trunc('hour', coalesce(CAST(:now AS timestamptz), now()), 'UTC'), :job_id, :provider,
        :model, 1, :runs, :input_tokens, :output_tokens, :cached_input_tokens, :cost)
ON CONFLICT (project_id, hour, job_id, provider, model) DO UPDATE
SET records = usage_hourly.records + 1, runs = usage_hourly.runs + excluded.runs,
    input_tokens = usage_hourly.input_tokens + excluded.input_tokens,
    output_tokens = usage_hourly.output_tokens + excluded.output_tokens,
    cached_input_tokens = usage_hourly.cached_input_tokens + excluded.cached_input_tokens,
    cost_microusd = usage_hourly.cost_microusd + excluded.cost_microusd

-- name: usage_grouped
-- GET /v1/usage from the hourly rollup. The bucket: the hour, the project's local day, or the
-- range's start for the groupings by key. A day in a zone with a non-whole-hour offset takes whole
-- UTC hours (the hour that straddles midnight counts in the day it starts in).
SELECT CASE :group_by WHEN 'hour' THEN u.hour
                      WHEN 'day' THEN date_trunc('day', u.hour AT TIME ZONE :tz) AT TIME ZONE :tz
                      ELSE CAST(:since AS timestamptz) END AS bucket,
       CASE :group_by WHEN 'job' THEN u.job_id::text WHEN 'model' THEN u.model WHEN 'provider' THEN u.provider
                      ELSE NULL END AS key,
       sum(u.runs), sum(u.input_tokens), sum(u.output_tokens), sum(u.cached_input_tokens), sum(u.cost_microusd),
       sum(u.records), max(j.slug) AS job_slug
FROM usage_hourly u
LEFT JOIN jobs j ON :group_by = 'job' AND j.id = u.job_id
WHERE u.project_id = :project_id AND u.hour >= :since AND u.hour < :until
GROUP BY 1, 2
ORDER BY 1, 2
LIMIT 10000

-- name: job_cost_hourly
SELECT hour, sum(cost_microusd) FROM usage_hourly
WHERE project_id = :project_id AND job_id = :job_id AND hour >= :since AND hour < :until
GROUP BY hour

-- name: job_hourly_range
SELECT hour, runs, completed, failed, canceled, other, duration_count, duration_sum_ms, duration_buckets
FROM job_hourly
WHERE project_id = :project_id AND job_id = :job_id AND hour >= :since AND hour < :until
ORDER BY hour

-- name: job_hourly_get
SELECT runs, completed, failed, canceled, other, duration_count, duration_sum_ms, duration_buckets
FROM job_hourly WHERE project_id = :project_id AND job_id = :job_id AND hour = :hour

-- name: job_hourly_put
INSERT INTO job_hourly (project_id, job_id, hour, runs, completed, failed, canceled, other, duration_count,
                        duration_sum_ms, duration_buckets)
VALUES (:project_id, :job_id, :hour, :runs, :completed, :failed, :canceled, :other, :duration_count,
        :duration_sum_ms, :duration_buckets)
ON CONFLICT (project_id, job_id, hour) DO UPDATE
SET runs = excluded.runs, completed = excluded.completed, failed = excluded.failed, canceled = excluded.canceled,
    other = excluded.other, duration_count = excluded.duration_count, duration_sum_ms = excluded.duration_sum_ms,
    duration_buckets = excluded.duration_buckets

-- name: try_rollup_lock
SELECT pg_try_advisory_xact_lock(:key)

-- name: lock_rollup_cursor
SELECT cursor FROM run_rollup_cursor WHERE id = 1 FOR UPDATE

-- name: move_rollup_cursor
UPDATE run_rollup_cursor SET cursor = :cursor WHERE id = 1

-- name: finished_runs
-- The runs the rollup's batch of events tells of (a run pruned meanwhile is not counted).
SELECT id, project_id, job_id, started_at, finished_at FROM runs WHERE id = ANY(:ids::uuid[])

-- name: run_usage
SELECT id, worker_id, provider, model, input_tokens, output_tokens, cached_input_tokens, cost_microusd, price_source,
       input_microusd_per_mtok, output_microusd_per_mtok, cached_input_microusd_per_mtok, recorded_at
FROM usage_records WHERE run_id = :run_id AND project_id = :project_id ORDER BY id LIMIT :limit

-- name: unpriced_event
-- A warning in the run's history: the model has no price, so its tokens were recorded at cost 0.
INSERT INTO run_events (project_id, run_id, type, from_status, to_status, attempt, message, data)
VALUES (:project_id, :run_id, 'usage_unpriced', CAST(:status AS run_status), CAST(:status AS run_status), :attempt,
        :message, CAST(:data AS jsonb))

-- name: price_override
-- The project's price in force at :now for the model: an exact name, else the longest listed name
-- that the model's name extends with '-' (a dated snapshot such as gpt-4o-2024-08-06).
SELECT model, input_microusd_per_mtok, output_microusd_per_mtok, cached_input_microusd_per_mtok, effective_from
FROM pricing_overrides
WHERE project_id = :project_id AND provider = :provider AND effective_from <= coalesce(CAST(:now AS timestamptz), now())
  AND (model = :model OR :model LIKE replace(replace(model, '%', '\%'), '_', '\_') || '-%')
ORDER BY length(model) DESC, effective_from DESC
LIMIT 1

-- name: list_overrides
SELECT provider, model, input_microusd_per_mtok, output_microusd_per_mtok, cached_input_microusd_per_mtok,
       effective_from
FROM pricing_overrides WHERE project_id = :project_id ORDER BY provider, model, effective_from

-- name: put_override
INSERT INTO pricing_overrides (project_id, provider, model, effective_from, input_microusd_per_mtok,
                               output_microusd_per_mtok, cached_input_microusd_per_mtok, updated_at)
VALUES (:project_id, :provider, :model, :effective_from, :input_price, :output_price, :cached_price,
        coalesce(CAST(:now AS timestamptz), now()))
ON CONFLICT (project_id, provider, model, effective_from) DO UPDATE
SET input_microusd_per_mtok = excluded.input_microusd_per_mtok,
    output_microusd_per_mtok = excluded.output_microusd_per_mtok,
    cached_input_microusd_per_mtok = excluded.cached_input_microusd_per_mtok, updated_at = excluded.updated_at

-- name: budget
-- The project's budget with its time zone (project settings), or no row.
SELECT b.per_run_microusd, b.daily_microusd, b.monthly_microusd, b.action, p.settings ->> 'timezone'
FROM budgets b JOIN projects p ON p.id = b.project_id
WHERE b.project_id = :project_id

-- name: put_budget
INSERT INTO budgets (project_id, per_run_microusd, daily_microusd, monthly_microusd, action, updated_at)
VALUES (:project_id, :per_run, :daily, :monthly, :action, coalesce(CAST(:now AS timestamptz), now()))
ON CONFLICT (project_id) DO UPDATE
SET per_run_microusd = excluded.per_run_microusd, daily_microusd = excluded.daily_microusd,
    monthly_microusd = excluded.monthly_microusd, action = excluded.action, updated_at = excluded.updated_at

-- name: delete_budget
DELETE FROM budgets WHERE project_id = :project_id

-- name: window_spend
-- What the trigger gate reads: the spend of the current day and month (no lock; a trigger racing
-- a usage record may start one more run, which is the in-flight bound of docs).
SELECT period, spent_microusd FROM spend_windows
WHERE project_id = :project_id
  AND ((period = 'day' AND window_start = :day) OR (period = 'month' AND window_start = :month))

-- name: add_spend
-- The atomic counter: one row per project and window, its lock held to the usage commit, so
-- every node's records add up exactly; RETURNING gives the total with this record in it.
INSERT INTO spend_windows (project_id, period, window_start, window_end, spent_microusd)
VALUES (:project_id, :period, :window_start, :window_end, :cost)
ON CONFLICT (project_id, period, window_start) DO UPDATE
SET spent_microusd = spend_windows.spent_microusd + excluded.spent_microusd
RETURNING spent_microusd, notified_at IS NOT NULL

-- name: mark_notified
UPDATE spend_windows SET notified_at = coalesce(CAST(:now AS timestamptz), now())
WHERE project_id = :project_id AND period = :period AND window_start = :window_start AND notified_at IS NULL

-- name: delete_usage
-- Retention: usage rows recorded before :cutoff (rollups are kept).
WITH doomed AS (
    SELECT id FROM usage_records
    WHERE project_id = :project_id AND recorded_at < :cutoff
    ORDER BY recorded_at
    LIMIT :batch
)
DELETE FROM usage_records u USING doomed WHERE u.id = doomed.id

-- name: delete_windows
-- Retention: spend counters of windows that ended before :cutoff.
WITH doomed AS (
    SELECT project_id, period, window_start FROM spend_windows
    WHERE project_id = :project_id AND window_end < :cutoff
    LIMIT :batch
)
DELETE FROM spend_windows w USING doomed
WHERE w.project_id = doomed.project_id AND w.period = doomed.period AND w.window_start = doomed.window_start

-- name: project_zone
SELECT settings ->> 'timezone' FROM projects WHERE id = :project_id
