-- The dashboard's own reads (io.drover.ui). Each one is a range of an index of runs, never a scan
-- of the project's history: live states through runs_status_list (project_id, status, id), the
-- last day's outcomes through runs_retention (project_id, finished_at).

-- name: live_counts
-- Runs by live state (and dead letters): what the overview's state bars show.
SELECT status::text, count(*) FROM runs
WHERE project_id = :project_id AND status IN ('delayed', 'queued', 'dequeued', 'executing', 'waiting', 'dead_letter')
GROUP BY 1

-- name: finished_counts
-- Outcomes of the runs that finished since :since (the last 24 hours).
SELECT status::text, count(*) FROM runs
WHERE project_id = :project_id AND finished_at >= :since
GROUP BY 1

-- name: failing_jobs
-- Jobs with the most failed runs (failed, timed out, crashed, dead-lettered...) since :since.
SELECT job_slug, count(*) FROM runs
WHERE project_id = :project_id AND finished_at >= :since
  AND status IN ('failed', 'timed_out', 'crashed', 'system_failed', 'dead_letter')
GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10

-- name: queue_depth
-- Runs ready to be claimed, by queue.
SELECT queue, count(*) FROM runs
WHERE project_id = :project_id AND status = 'queued'
GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 20
