-- Schedules: the row of each scheduled job, and the ticks that fired it.

-- name: upsert_schedule
-- The next fire time is kept when the timing did not change (a PATCH of the overlap policy does not
-- skip or repeat a tick).
INSERT INTO schedules (id, project_id, job_id, kind, expression, interval_secs, at, timezone,
                       overlap_policy, next_fire_at)
VALUES (:id, :project_id, :job_id, :kind, :expression, :interval_secs, :at, :timezone, :overlap_policy,
        :next_fire_at)
ON CONFLICT (job_id) DO UPDATE SET
    next_fire_at = CASE
        WHEN (schedules.kind, schedules.expression, schedules.interval_secs, schedules.at, schedules.timezone)
             IS NOT DISTINCT FROM (EXCLUDED.kind, EXCLUDED.expression, EXCLUDED.interval_secs,
                                   EXCLUDED.at, EXCLUDED.timezone)
        THEN schedules.next_fire_at ELSE EXCLUDED.next_fire_at END,
    kind = EXCLUDED.kind, expression = EXCLUDED.expression, interval_secs = EXCLUDED.interval_secs,
    at = EXCLUDED.at, timezone = EXCLUDED.timezone, overlap_policy = EXCLUDED.overlap_policy,
    enabled = true, updated_at = now()

-- name: delete_job_schedule
DELETE FROM schedules WHERE job_id = :job_id

-- name: due_schedules
-- Every node runs the ticker: each due row is locked, and another node skips it.
-- :now is the database's clock (null) unless a test moves one.
SELECT id, project_id, job_id, next_fire_at, overlap_policy FROM schedules
WHERE enabled AND next_fire_at <= coalesce(:now::timestamptz, now())
ORDER BY next_fire_at LIMIT :limit
FOR UPDATE SKIP LOCKED

-- name: insert_tick
-- A tick is recorded under its primary key (schedule, fire time): a tick that is there already
-- was fired before, and makes no second run.
INSERT INTO schedule_ticks (schedule_id, fire_at, outcome, project_id) VALUES (:schedule_id, :fire_at, 'fired', :project_id)
ON CONFLICT DO NOTHING

-- name: set_tick_outcome
UPDATE schedule_ticks SET run_id = :run_id, outcome = :outcome WHERE schedule_id = :schedule_id AND fire_at = :fire_at

-- name: advance_schedule
UPDATE schedules SET next_fire_at = :next_fire_at, last_fired_at = :last_fired_at WHERE id = :id

-- name: disable_schedule
UPDATE schedules SET enabled = false, updated_at = now() WHERE id = :id

-- name: live_schedule_runs
SELECT id FROM runs WHERE schedule_id = :schedule_id
  AND status IN ('delayed', 'queued', 'dequeued', 'executing', 'waiting')

-- name: next_fire_at
SELECT min(next_fire_at) FROM schedules WHERE enabled AND next_fire_at IS NOT NULL
