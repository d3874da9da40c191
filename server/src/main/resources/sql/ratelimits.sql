-- Named rate limits (V21). The claim reads and counts them itself (runs.sql, claim, take_push).

-- name: upsert
-- Created, or its limit and period changed (xmax = 0: the row was inserted). A changed period
-- starts a new count: window numbers of two periods are not comparable.
INSERT INTO rate_limits AS l (project_id, key, lim, period_ms)
VALUES (:project_id, :key, :lim, :period_ms)
ON CONFLICT (project_id, key) DO UPDATE
SET lim = excluded.lim, period_ms = excluded.period_ms, updated_at = now(),
    window_no = CASE WHEN l.period_ms = excluded.period_ms THEN l.window_no ELSE 0 END,
    used = CASE WHEN l.period_ms = excluded.period_ms THEN l.used ELSE 0 END
RETURNING key, lim, period_ms, created_at, updated_at, (xmax = 0) AS created,
          CASE WHEN window_no = floor(extract(epoch FROM now()) * 1000 / period_ms) THEN used ELSE 0 END

-- name: list
SELECT key, lim, period_ms, created_at, updated_at, false,
       CASE WHEN window_no = floor(extract(epoch FROM now()) * 1000 / period_ms) THEN used ELSE 0 END
FROM rate_limits WHERE project_id = :project_id ORDER BY key
