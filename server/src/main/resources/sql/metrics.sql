-- Gauges counted from the database when metrics are scraped.

-- name: queue_depth
-- Live runs (and dead letters) by queue and status, for drover_queue_depth.
SELECT queue, status::text, count(*) FROM runs
WHERE status IN ('delayed', 'queued', 'dequeued', 'executing', 'waiting', 'dead_letter')
GROUP BY 1, 2
