-- The queue. Every statement that changes a run's status also inserts the run event that records
-- it, in the same statement (data-modifying CTEs), so the two commit together or not at all.
-- RUN_COLUMNS is replaced by Run.COLUMNS when the file is loaded.

-- name: insert_runs
-- Trigger: one row per element of the arrays. Times come from the database clock (now()), the one
-- clock every node shares: a run asked for later is 'delayed', and the TTL counts from the trigger.
-- Runs without an idempotency key are a plain INSERT. Only runs with a key go through ON CONFLICT:
-- PostgreSQL makes every row of an INSERT ... ON CONFLICT a speculative insertion (an arbiter-index
-- check, a speculative lock, a second WAL record to confirm the tuple), even a row whose NULL key
-- the partial arbiter index does not cover; that was ~20 us of ~50 per row (docs/benchmarks.md).
-- A repeated key for the same job makes no row (ON CONFLICT on the partial unique index);
-- concurrent duplicates wait on the index entry and then see the first run, so 50 racing triggers
-- with one key make exactly one run. Keyed rows are inserted in key order (then request order, so
-- the first of a repeated key wins): two batches with the same keys in different orders would
-- otherwise each hold a key the other waits for, and deadlock.
-- Each new run also gets its entry in run_list, the newest-first lists, from the trigger runs_listed
-- (V6__run_list.sql): it fires once per statement, with the rows of both INSERTs below.
-- INSERTED_COLUMNS is the whole run (RUN_COLUMNS), or only what RunStore.triggerIn itself reads when
-- the caller asked for ids only (a batch trigger with "answer": "ids"): 33 columns of 1,000 runs
-- turned into text and read back for nothing were ~10% of this statement's backend CPU in psql.
WITH input AS (
    SELECT t.id, :project_id::uuid AS project_id, :job_id::uuid AS job_id, :job_slug::text AS job_slug,
           :job_version::int AS job_version, :queue::text AS queue, :execution::text AS execution,
           :limited::boolean AS limited, NOT :limited::boolean AS admitted, :max_attempts::int AS max_attempts,
           :timeout_secs::int AS timeout_secs, :replay_of::uuid AS replay_of, :schedule_id::uuid AS schedule_id,
           now() + :ttl_secs::int * interval '1 second' AS expires_at,
           CASE WHEN s.sched > now() THEN 'delayed'::run_status ELSE 'queued'::run_status END AS status,
           t.idempotency_key, t.payload, t.metadata, t.priority, s.sched AS scheduled_at, t.concurrency_key,
           :workflow_run_id::uuid AS workflow_run_id, t.step_id, t.ord, t.parent_run_id,
           :continuation_of::uuid AS continuation_of, :lineage_depth::int AS lineage_depth,
           CAST(:rate_keys AS text[]) AS rate_keys
    FROM unnest(:ids::uuid[], :idempotency_keys::text[], :payloads::jsonb[], :metadata::jsonb[], :priorities::int[],
                :at::timestamptz[], :delays_ms::bigint[], :concurrency_keys::text[], :step_ids::text[],
                :parent_run_ids::uuid[]) WITH ORDINALITY
        AS t(id, idempotency_key, payload, metadata, priority, at, delay_ms, concurrency_key, step_id, parent_run_id,
             ord)
    CROSS JOIN LATERAL (
        SELECT coalesce(t.at, now() + coalesce(t.delay_ms, 0) * interval '1 millisecond') AS sched
    ) s
), plain AS (
    INSERT INTO runs (id, project_id, job_id, job_slug, job_version, queue, execution, limited, admitted,
                      max_attempts, timeout_secs, replay_of, schedule_id, expires_at, status, idempotency_key,
                      payload, metadata, priority, scheduled_at, concurrency_key, workflow_run_id, step_id,
                      parent_run_id, continuation_of, lineage_depth, rate_keys)
    SELECT id, project_id, job_id, job_slug, job_version, queue, execution, limited, admitted,
           max_attempts, timeout_secs, replay_of, schedule_id, expires_at, status, idempotency_key,
           payload, metadata, priority, scheduled_at, concurrency_key, workflow_run_id, step_id,
           parent_run_id, continuation_of, lineage_depth, rate_keys
    FROM input
    WHERE idempotency_key IS NULL
    RETURNING INSERTED_COLUMNS
), keyed AS (
    INSERT INTO runs (id, project_id, job_id, job_slug, job_version, queue, execution, limited, admitted,
                      max_attempts, timeout_secs, replay_of, schedule_id, expires_at, status, idempotency_key,
                      payload, metadata, priority, scheduled_at, concurrency_key, workflow_run_id, step_id,
                      parent_run_id, continuation_of, lineage_depth, rate_keys)
    SELECT id, project_id, job_id, job_slug, job_version, queue, execution, limited, admitted,
           max_attempts, timeout_secs, replay_of, schedule_id, expires_at, status, idempotency_key,
           payload, metadata, priority, scheduled_at, concurrency_key, workflow_run_id, step_id,
           parent_run_id, continuation_of, lineage_depth, rate_keys
    FROM input
    WHERE idempotency_key IS NOT NULL
    ORDER BY idempotency_key, ord
    ON CONFLICT (job_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
    RETURNING INSERTED_COLUMNS
), inserted AS (
    SELECT * FROM plain
    UNION ALL
    SELECT * FROM keyed
), events AS (
    -- A child's or a continuation's creation names where it comes from (data); null for the others.
    INSERT INTO run_events (project_id, run_id, type, from_status, to_status, attempt, message, data)
    SELECT project_id, id, 'created', NULL, status, 0,
           CASE WHEN status = 'delayed' THEN 'scheduled for ' || scheduled_at END,
           CASE WHEN parent_run_id IS NOT NULL OR continuation_of IS NOT NULL
                THEN jsonb_strip_nulls(jsonb_build_object('parent_run_id', parent_run_id,
                                                          'continuation_of', continuation_of,
                                                          'lineage_depth', lineage_depth)) END
    FROM inserted
), note AS (
    SELECT :notify_payload::text AS payload
), notified AS MATERIALIZED (
    -- The NOTIFY of the trigger (delivered at commit), in this statement to save a round trip on the
    -- enqueue -> start path; only when a run is ready now. Null payload: the caller notifies itself
    -- (jobs with concurrency limits learn which queues got admitted runs only after this statement).
    SELECT pg_notify('drover_runs', note.payload)
    FROM note
    WHERE note.payload IS NOT NULL AND EXISTS (SELECT 1 FROM inserted WHERE status = 'queued')
)
-- The join makes the notified CTE run (an unreferenced SELECT CTE would not); it keeps every row.
SELECT inserted.* FROM inserted LEFT JOIN notified ON true

-- name: find_by_idempotency
SELECT RUN_COLUMNS FROM runs WHERE job_id = :job_id AND idempotency_key = ANY(:keys::text[])

-- name: claim
-- A worker takes up to N ready runs of its queues. The LATERAL subquery walks the partial index
-- runs_claim once per queue in (priority DESC, id) order, so the cost does not grow with the
-- number of queued runs; SKIP LOCKED lets competing claimers pass each other's rows instead of
-- waiting. The outer ORDER BY/LIMIT merges the queues by priority. The CTE is the "optimization
-- fence": rows are locked before the UPDATE touches them. The UPDATE finds the picked rows by
-- primary key; the ARRAY() keeps it so in the generic plan too, where LIMIT ? is unknown and the
-- planner otherwise hash-joined the picked ids against a sequential scan of all runs (see
-- docs/benchmarks.md); a server-side prepared statement may switch to that plan after five runs.
--
-- Each queue's walk starts at a cursor (q.prio, q.floor) that ClaimCursors keeps: the runs this
-- node claimed last. The index entries before it are mostly runs already claimed; VACUUM removes
-- them, but while an old transaction holds back the xmin horizon it cannot, and a walk from the
-- start visited every one of them in the heap, claim after claim (the held-horizon benchmark).
-- The three branches are three index ranges that together are the whole walk from the cursor on,
-- in index order: higher priorities from their start, the cursor's priority from the cursor's id,
-- lower priorities from their start; an Append runs them in that order and stops at the LIMIT.
-- (FOR UPDATE is not allowed on a UNION's members, hence a subquery each.) The middle branch
-- bounds priority with <= and >= rather than =: an equality would make the ORDER BY's priority
-- redundant, and then runs_status_list, which holds id order too, could
-- serve the branch; with stale statistics the planner took runs_status_list and filtered every
-- queued run of the project. Only runs_claim has (priority DESC, id) order, and btree starts the
-- scan at (priority, id) itself, as the plan's Index Cond shows.
-- Runs that become ready behind a cursor are never passed over for long: a trigger lowers it to
-- its first id, every other way back into a queue (promotion, release, retry, admission) resets
-- it, and a cursor older than a second is not used (ClaimCursors). Without a cursor the node
-- passes (2147483647, the greatest uuid): priorities are -1000..1000, so the first two branches
-- are empty and the third is the full walk.
--
-- Named rate limits (V21): runs of jobs with rate_limit_keys carry their keys (rate_keys) and are
-- never admitted, so the walk above never meets them; for runs without keys the statement is the
-- walk above plus a probe of rate_limits by primary key that finds nothing. The rated CTEs below
-- take them, in the same statement, by a fixed window per key (window_no = epoch ms / period_ms):
--   open    the project's keys with a start left in the current window, read without a lock; when
--           there is none the rated walk is not run at all (a one-time filter);
--   rated   ready runs of the queues all of whose keys are open (runs_rated_claim, which holds only
--           runs with keys), locked SKIP LOCKED like the picks above: runs over the limit are
--           passed without a lock and stay queued with their attempt unchanged;
--   gate    the key rows of those runs, locked in key order: claims of every node that meet on a
--           key wait here for each other's commit (one row lock per key per claim, the statement's
--           only wait), and then read the row the other wrote;
--   granted a run is granted when, for each of its keys, it is within the key's remaining starts
--           by (priority, id) rank among the candidates naming that key; a window already passed
--           by another claim (whose transaction started later) counts as full;
--   chosen  the picks and the granted runs merged by priority, cut at :max;
--   spent   each key's row counts the claimed runs naming it (a new window starts from zero).
-- :now is null (the database's clock, as started_at) unless a test moves the clock (SqlTime).
-- A rated run that finds its window full is claimed at the next claim after the window turns:
-- claimers park until the poll interval (DROVER_POLL_INTERVAL_MS) at most.
WITH picked AS MATERIALIZED (
    SELECT r.id, r.priority
    FROM unnest(:queues::text[], :priorities::int[], :floors::uuid[]) AS q(name, prio, floor)
    CROSS JOIN LATERAL (
        SELECT * FROM (
            SELECT id, priority FROM runs
            WHERE project_id = :project_id AND queue = q.name AND status = 'queued' AND admitted AND execution = 'worker'
              AND priority > q.prio
            ORDER BY priority DESC, id
            LIMIT :max
            FOR UPDATE SKIP LOCKED) above
        UNION ALL
        SELECT * FROM (
            SELECT id, priority FROM runs
            WHERE project_id = :project_id AND queue = q.name AND status = 'queued' AND admitted AND execution = 'worker'
              AND priority <= q.prio AND priority >= q.prio AND id >= q.floor
            ORDER BY priority DESC, id
            LIMIT :max
            FOR UPDATE SKIP LOCKED) from_cursor
        UNION ALL
        SELECT * FROM (
            SELECT id, priority FROM runs
            WHERE project_id = :project_id AND queue = q.name AND status = 'queued' AND admitted AND execution = 'worker'
              AND priority < q.prio
            ORDER BY priority DESC, id
            LIMIT :max
            FOR UPDATE SKIP LOCKED) below
        LIMIT :max
    ) r
    ORDER BY r.priority DESC, r.id
    LIMIT :max
), open AS MATERIALIZED (
    SELECT array_agg(l.key) AS keys FROM rate_limits l
    WHERE l.project_id = :project_id
      AND (l.window_no < floor(extract(epoch FROM coalesce(CAST(:now AS timestamptz), now())) * 1000 / l.period_ms) OR l.used < l.lim)
), rated AS MATERIALIZED (
    SELECT r.id, r.priority, r.rate_keys
    FROM unnest(:queues::text[]) AS q(name)
    CROSS JOIN LATERAL (
        SELECT id, priority, rate_keys FROM runs
        WHERE project_id = :project_id AND queue = q.name AND status = 'queued' AND rate_keys IS NOT NULL
          AND execution = 'worker'
          AND rate_keys <@ (SELECT keys FROM open)
        ORDER BY priority DESC, id
        LIMIT :max
        FOR UPDATE SKIP LOCKED
    ) r
    WHERE (SELECT keys FROM open) IS NOT NULL
), gate AS MATERIALIZED (
    SELECT l.key, l.lim, l.used, l.window_no, floor(extract(epoch FROM coalesce(CAST(:now AS timestamptz), now())) * 1000 / l.period_ms)::bigint AS cur
    FROM rate_limits l
    WHERE l.project_id = :project_id AND l.key IN (SELECT unnest(rate_keys) FROM rated)
    ORDER BY l.key
    FOR UPDATE
), ranked AS (
    SELECT x.id, k.key, row_number() OVER (PARTITION BY k.key ORDER BY x.priority DESC, x.id) AS rank
    FROM rated x CROSS JOIN LATERAL unnest(x.rate_keys) AS k(key)
), granted AS (
    SELECT x.id, x.priority FROM rated x
    WHERE NOT EXISTS (
        SELECT 1 FROM ranked k LEFT JOIN gate g ON g.key = k.key
        WHERE k.id = x.id
          AND (g.key IS NULL
               OR k.rank > CASE WHEN g.window_no < g.cur THEN g.lim WHEN g.window_no = g.cur THEN g.lim - g.used ELSE 0 END))
), chosen AS MATERIALIZED (
    SELECT id, priority FROM picked
    UNION ALL
    SELECT id, priority FROM granted
    ORDER BY priority DESC, id
    LIMIT :max
), claimed AS (
    UPDATE runs r
    SET status = 'executing',
        attempt = r.attempt + 1,
        worker_id = :worker_id,
        lease_expires_at = now() + :lease_ms * interval '1 millisecond',
        deadline_at = CASE WHEN r.timeout_secs IS NULL THEN NULL ELSE now() + r.timeout_secs * interval '1 second' END,
        started_at = now(),
        next_retry_at = NULL,
        expires_at = NULL          -- the TTL only limits how long a run may wait for its first start
    FROM chosen
    WHERE r.id = chosen.id
      AND r.id = ANY (ARRAY(SELECT id FROM chosen))
      AND (r.expires_at IS NULL OR r.expires_at > now())
    -- claim_context (after the run's columns): true for the few runs with a checkpoint or an
    -- event wait behind them, whose context RunClaims then reads (sql/run_records.sql); rate_keys
    -- for the spent CTE below
    RETURNING RUN_COLUMNS_R, r.claim_context, r.rate_keys
), events AS (
    INSERT INTO run_events (project_id, run_id, type, from_status, to_status, attempt, message)
    SELECT project_id, id, 'claimed', 'queued', 'executing', attempt, worker_id FROM claimed
), spent AS (
    UPDATE rate_limits l
    SET window_no = greatest(g.window_no, g.cur),
        used = CASE WHEN g.window_no < g.cur THEN 0 ELSE g.used END + n.starts
    FROM gate g
    JOIN (SELECT k.key, count(*)::int AS starts FROM claimed CROSS JOIN LATERAL unnest(claimed.rate_keys) AS k(key)
          GROUP BY k.key) n ON n.key = g.key
    WHERE l.project_id = :project_id AND l.key = g.key
)
SELECT * FROM claimed ORDER BY priority DESC, id

-- name: claim_jobs
-- The claim of a worker that names the jobs it has handlers for (claim body `jobs`): the statement
-- above, each branch also filtered by job_slug. A separate statement, so that the plain claim's
-- text and plan stay what they were. The filter is checked on the heap row the walk visits
-- anyway (runs_claim has no job_slug), so the walk is the same index range; runs of other jobs are
-- walked past, left queued and unlocked. Such a claim keeps its own cursors (ClaimCursors, keyed
-- by the job list too): a cursor past runs it skipped would hide them from the other claims.
-- The filter is written (job_slug || '') so that the planner has no statistics for it and takes
-- the default selectivity: with job_slug's own statistics, a job with few or no ready runs made a
-- custom plan estimate zero rows and read the whole runs table with a sequential scan in two of
-- the branches, 0.8 s on 400,000 runs (ClaimJobsPlanCheck). What stays: a queue whose ready runs
-- are mostly of other jobs is walked past them, index entry and heap row each, when the walk
-- starts from the queue's head (its first claim, then at most once a second per node and job
-- list: ClaimCursors); with 400,000 ready runs of another job ahead that walk took 2.4-2.9 s on a
-- loaded 2-core machine. An index on (project_id, queue, job_slug, priority DESC, id) makes it
-- 0.1 ms, at the price of one more index entry for every queued run (left undone: see the issue).
WITH picked AS MATERIALIZED (
    SELECT r.id, r.priority
    FROM unnest(:queues::text[], :priorities::int[], :floors::uuid[]) AS q(name, prio, floor)
    CROSS JOIN LATERAL (
        SELECT * FROM (
            SELECT id, priority FROM runs
            WHERE project_id = :project_id AND queue = q.name AND status = 'queued' AND admitted AND execution = 'worker'
              AND (job_slug || '') = ANY (:jobs::text[])
              AND priority > q.prio
            ORDER BY priority DESC, id
            LIMIT :max
            FOR UPDATE SKIP LOCKED) above
        UNION ALL
        SELECT * FROM (
            SELECT id, priority FROM runs
            WHERE project_id = :project_id AND queue = q.name AND status = 'queued' AND admitted AND execution = 'worker'
              AND (job_slug || '') = ANY (:jobs::text[])
              AND priority <= q.prio AND priority >= q.prio AND id >= q.floor
            ORDER BY priority DESC, id
            LIMIT :max
            FOR UPDATE SKIP LOCKED) from_cursor
        UNION ALL
        SELECT * FROM (
            SELECT id, priority FROM runs
            WHERE project_id = :project_id AND queue = q.name AND status = 'queued' AND admitted AND execution = 'worker'
              AND (job_slug || '') = ANY (:jobs::text[])
              AND priority < q.prio
            ORDER BY priority DESC, id
            LIMIT :max
            FOR UPDATE SKIP LOCKED) below
        LIMIT :max
    ) r
    ORDER BY r.priority DESC, r.id
    LIMIT :max
), open AS MATERIALIZED (
    SELECT array_agg(l.key) AS keys FROM rate_limits l
    WHERE l.project_id = :project_id
      AND (l.window_no < floor(extract(epoch FROM coalesce(CAST(:now AS timestamptz), now())) * 1000 / l.period_ms) OR l.used < l.lim)
), rated AS MATERIALIZED (
    SELECT r.id, r.priority, r.rate_keys
    FROM unnest(:queues::text[]) AS q(name)
    CROSS JOIN LATERAL (
        SELECT id, priority, rate_keys FROM runs
        WHERE project_id = :project_id AND queue = q.name AND status = 'queued' AND rate_keys IS NOT NULL
          AND execution = 'worker'
          AND (job_slug || '') = ANY (:jobs::text[])
          AND rate_keys <@ (SELECT keys FROM open)
        ORDER BY priority DESC, id
        LIMIT :max
        FOR UPDATE SKIP LOCKED
    ) r
    WHERE (SELECT keys FROM open) IS NOT NULL
), gate AS MATERIALIZED (
    SELECT l.key, l.lim, l.used, l.window_no, floor(extract(epoch FROM coalesce(CAST(:now AS timestamptz), now())) * 1000 / l.period_ms)::bigint AS cur
    FROM rate_limits l
    WHERE l.project_id = :project_id AND l.key IN (SELECT unnest(rate_keys) FROM rated)
    ORDER BY l.key
    FOR UPDATE
), ranked AS (
    SELECT x.id, k.key, row_number() OVER (PARTITION BY k.key ORDER BY x.priority DESC, x.id) AS rank
    FROM rated x CROSS JOIN LATERAL unnest(x.rate_keys) AS k(key)
), granted AS (
    SELECT x.id, x.priority FROM rated x
    WHERE NOT EXISTS (
        SELECT 1 FROM ranked k LEFT JOIN gate g ON g.key = k.key
        WHERE k.id = x.id
          AND (g.key IS NULL
               OR k.rank > CASE WHEN g.window_no < g.cur THEN g.lim WHEN g.window_no = g.cur THEN g.lim - g.used ELSE 0 END))
), chosen AS MATERIALIZED (
    SELECT id, priority FROM picked
    UNION ALL
    SELECT id, priority FROM granted
    ORDER BY priority DESC, id
    LIMIT :max
), claimed AS (
    UPDATE runs r
    SET status = 'executing',
        attempt = r.attempt + 1,
        worker_id = :worker_id,
        lease_expires_at = now() + :lease_ms * interval '1 millisecond',
        deadline_at = CASE WHEN r.timeout_secs IS NULL THEN NULL ELSE now() + r.timeout_secs * interval '1 second' END,
        started_at = now(),
        next_retry_at = NULL,
        expires_at = NULL          -- the TTL only limits how long a run may wait for its first start
    FROM chosen
    WHERE r.id = chosen.id
      AND r.id = ANY (ARRAY(SELECT id FROM chosen))
      AND (r.expires_at IS NULL OR r.expires_at > now())
    -- claim_context (after the run's columns): true for the few runs with a checkpoint or an
    -- event wait behind them, whose context RunClaims then reads (sql/run_records.sql); rate_keys
    -- for the spent CTE below
    RETURNING RUN_COLUMNS_R, r.claim_context, r.rate_keys
), events AS (
    INSERT INTO run_events (project_id, run_id, type, from_status, to_status, attempt, message)
    SELECT project_id, id, 'claimed', 'queued', 'executing', attempt, worker_id FROM claimed
), spent AS (
    UPDATE rate_limits l
    SET window_no = greatest(g.window_no, g.cur),
        used = CASE WHEN g.window_no < g.cur THEN 0 ELSE g.used END + n.starts
    FROM gate g
    JOIN (SELECT k.key, count(*)::int AS starts FROM claimed CROSS JOIN LATERAL unnest(claimed.rate_keys) AS k(key)
          GROUP BY k.key) n ON n.key = g.key
    WHERE l.project_id = :project_id AND l.key = g.key
)
SELECT * FROM claimed ORDER BY priority DESC, id

-- name: take_push
-- The HTTP push dispatcher takes ready http runs (any project) into 'dequeued' with a short lease,
-- before it sends their requests. A dispatcher that dies leaves leases that the reaper takes back.
-- Runs of job versions in :held (job_id:version, those whose endpoint circuit is not closed) stay
-- queued; :only (null: any) restricts the take to some job versions (a half-open probe). Both are
-- null while every circuit is closed.
-- Runs with rate limit keys are taken as the worker claim takes them (see claim): the same CTEs,
-- with keys of every project (a key is 'project_id/key'), through runs_rated_push. The take is
-- the start the limit counts: a push run starts when it is taken.
WITH picked AS MATERIALIZED (
    SELECT id, priority FROM runs
    WHERE status = 'queued' AND admitted AND execution = 'http'
      AND (CAST(:held AS text[]) IS NULL OR NOT (job_id::text || ':' || job_version) = ANY (CAST(:held AS text[])))
      AND (CAST(:only AS text[]) IS NULL OR (job_id::text || ':' || job_version) = ANY (CAST(:only AS text[])))
    ORDER BY priority DESC, id
    LIMIT :max
    FOR UPDATE SKIP LOCKED
), open AS MATERIALIZED (
    SELECT array_agg(l.project_id::text || '/' || l.key) AS keys FROM rate_limits l
    WHERE l.window_no < floor(extract(epoch FROM coalesce(CAST(:now AS timestamptz), now())) * 1000 / l.period_ms) OR l.used < l.lim
), rated AS MATERIALIZED (
    SELECT id, priority, project_id, rate_keys FROM runs
    WHERE status = 'queued' AND rate_keys IS NOT NULL AND execution = 'http'
      AND (CAST(:held AS text[]) IS NULL OR NOT (job_id::text || ':' || job_version) = ANY (CAST(:held AS text[])))
      AND (CAST(:only AS text[]) IS NULL OR (job_id::text || ':' || job_version) = ANY (CAST(:only AS text[])))
      AND (SELECT keys FROM open) IS NOT NULL
      AND ARRAY(SELECT project_id::text || '/' || k FROM unnest(rate_keys) AS k) <@ (SELECT keys FROM open)
    ORDER BY priority DESC, id
    LIMIT :max
    FOR UPDATE SKIP LOCKED
), gate AS MATERIALIZED (
    SELECT l.project_id, l.key, l.lim, l.used, l.window_no,
           floor(extract(epoch FROM coalesce(CAST(:now AS timestamptz), now())) * 1000 / l.period_ms)::bigint AS cur
    FROM rate_limits l
    WHERE (l.project_id, l.key) IN (SELECT project_id, unnest(rate_keys) FROM rated)
    ORDER BY l.project_id, l.key
    FOR UPDATE
), ranked AS (
    SELECT x.id, x.project_id, k.key,
           row_number() OVER (PARTITION BY x.project_id, k.key ORDER BY x.priority DESC, x.id) AS rank
    FROM rated x CROSS JOIN LATERAL unnest(x.rate_keys) AS k(key)
), granted AS (
    SELECT x.id, x.priority FROM rated x
    WHERE NOT EXISTS (
        SELECT 1 FROM ranked k LEFT JOIN gate g ON g.project_id = k.project_id AND g.key = k.key
        WHERE k.id = x.id
          AND (g.key IS NULL
               OR k.rank > CASE WHEN g.window_no < g.cur THEN g.lim WHEN g.window_no = g.cur THEN g.lim - g.used ELSE 0 END))
), chosen AS MATERIALIZED (
    SELECT id, priority FROM picked
    UNION ALL
    SELECT id, priority FROM granted
    ORDER BY priority DESC, id
    LIMIT :max
), taken AS (
    UPDATE runs r
    SET status = 'dequeued', attempt = r.attempt + 1, worker_id = :worker_id,
        lease_expires_at = now() + :lease_ms * interval '1 millisecond', next_retry_at = NULL, expires_at = NULL
    FROM chosen
    WHERE r.id = chosen.id AND (r.expires_at IS NULL OR r.expires_at > now())
    RETURNING RUN_COLUMNS_R, r.rate_keys
), events AS (
    INSERT INTO run_events (project_id, run_id, type, from_status, to_status, attempt, message)
    SELECT project_id, id, 'dequeued', 'queued', 'dequeued', attempt, worker_id FROM taken
), spent AS (
    UPDATE rate_limits l
    SET window_no = greatest(g.window_no, g.cur),
        used = CASE WHEN g.window_no < g.cur THEN 0 ELSE g.used END + n.starts
    FROM gate g
    JOIN (SELECT taken.project_id, k.key, count(*)::int AS starts
          FROM taken CROSS JOIN LATERAL unnest(taken.rate_keys) AS k(key)
          GROUP BY taken.project_id, k.key) n ON n.project_id = g.project_id AND n.key = g.key
    WHERE l.project_id = g.project_id AND l.key = g.key
)
SELECT * FROM taken

-- name: complete_batch
-- Completes many runs of one worker in one statement. Only runs this worker still holds
-- (executing or waiting, same worker_id, and the same attempt when the worker names it) are
-- completed; the others are reported back as not ok.
-- Every run is found by its id, one probe per reported run, whatever the statistics say. Left to
-- itself the planner preferred to read all 'executing' entries of runs_status_list and hash them
-- against the input; that index also holds an entry for every tuple version that ever was
-- 'executing' until VACUUM removes it, so the cost grew with the runs completed since the last
-- vacuum (hundreds of ms per batch of 500 in the throughput benchmark). Hence the LATERAL probe,
-- the status compared as text (no index can serve that, so none competes with the id), and the
-- UPDATE's id list hidden in an ARRAY() (estimated small, so the primary key beats a scan).
-- The probes go in id order, so that the rows are locked in the order every other multi-run
-- statement of a worker locks them (heartbeat, report's pre-lock): two transactions that lock
-- overlapping sets in different orders can deadlock, and a batch heartbeat did, with the
-- completion of the same worker's runs, in the throughput benchmark.
WITH input AS (
    SELECT * FROM unnest(:run_ids::uuid[], :results::jsonb[], :attempts::int[]) AS t(id, result, attempt)
), held AS MATERIALIZED (
    SELECT r.id, r.from_status, i.result
    FROM (SELECT * FROM input ORDER BY id) i
    CROSS JOIN LATERAL (
        SELECT x.id, x.status AS from_status FROM runs x
        WHERE x.id = i.id AND x.project_id = :project_id AND x.worker_id = :worker_id AND x.status::text IN ('executing', 'waiting')
          AND (i.attempt IS NULL OR i.attempt = x.attempt)
        FOR UPDATE
    ) r
), done AS (
    UPDATE runs r
    -- error = NULL: a run that succeeds after a failed attempt is not failed; that attempt's error
    -- stays in its attempt_failed run event (data.error).
    SET status = 'completed', result = held.result, error = NULL, finished_at = now(), lease_expires_at = NULL,
        deadline_at = NULL
    FROM held
    WHERE r.id = held.id
      AND r.id = ANY (ARRAY(SELECT id FROM held))
    RETURNING r.id, r.project_id, r.attempt, r.job_id, r.limited, r.queue, held.from_status, r.workflow_run_id,
              r.step_id, r.job_slug, r.parent_run_id, r.job_version,
              -- The attempt's duration, for the per-job histogram (JobMetrics).
              (EXTRACT(EPOCH FROM r.finished_at - r.started_at) * 1000)::bigint AS attempt_ms,
              -- Only the workflow engine reads the result back (RunSettledHook); for plain runs it
              -- would be jsonb turned into text and sent for nothing.
              CASE WHEN r.workflow_run_id IS NOT NULL THEN r.result::text END AS result
), events AS (
    INSERT INTO run_events (project_id, run_id, type, from_status, to_status, attempt)
    SELECT project_id, id, 'completed', from_status, 'completed', attempt FROM done
)
-- parent_run_id: a settled child may resume its waiting parent (Lineage), in this transaction.
-- job_version (last): RunCompletions checks the result against the job version's output_schema.
SELECT id, job_id, limited, queue, workflow_run_id, step_id, result, job_slug, attempt_ms, parent_run_id, job_version FROM done

-- name: lock_runs_in_order
-- A worker's report with failures locks all its runs up front, in id order (see RunCompletions),
-- and reads them with the database's time: the failures are computed from these rows.
SELECT RUN_COLUMNS, now() FROM runs WHERE id = ANY(:run_ids::uuid[]) AND project_id = :project_id ORDER BY id FOR UPDATE

-- name: lock_run
SELECT RUN_COLUMNS, now() FROM runs WHERE id = :run_id AND project_id = :project_id FOR UPDATE

-- name: lock_run_skip_locked
-- Cancels that must not wait (a workflow canceling its steps): a run locked by another
-- transaction is being settled by it, and the workflow engine sees that settle afterwards.
SELECT RUN_COLUMNS, now() FROM runs WHERE id = :run_id FOR UPDATE SKIP LOCKED

-- name: lock_run_any_project
SELECT RUN_COLUMNS, now() FROM runs WHERE id = :run_id FOR UPDATE

-- name: apply
-- Writes one computed transition (Transitions.java) and its event. The status guard makes a
-- concurrent change fail loudly instead of being overwritten.
WITH updated AS (
    UPDATE runs
    SET status = :status::run_status, attempt = :attempt, worker_id = :worker_id, result = :result::jsonb,
        error = :error::jsonb, scheduled_at = :scheduled_at, next_retry_at = :next_retry_at,
        lease_expires_at = :lease_expires_at, deadline_at = :deadline_at, started_at = :started_at,
        finished_at = :finished_at, admitted = :admitted
    WHERE id = :run_id AND status = :from_status::run_status
    RETURNING RUN_COLUMNS
), events AS (
    INSERT INTO run_events (project_id, run_id, type, from_status, to_status, attempt, message, data)
    SELECT project_id, id, :event, :from_status::run_status, status, attempt, :message, :data::jsonb FROM updated
)
SELECT * FROM updated

-- name: apply_batch
-- Writes many computed transitions and their events in one statement (a report's failures), as
-- apply does for one: each row guarded by the status it was computed from. The rows are already
-- locked by the caller. Each array parameter is named after the column of t it fills.
WITH input AS (
    SELECT * FROM unnest(:id::uuid[], :from_status::text[], :status::text[], :attempt::int[], :worker_id::text[],
                         :result::jsonb[], :error::jsonb[], :scheduled_at::timestamptz[], :next_retry_at::timestamptz[],
                         :lease_expires_at::timestamptz[], :deadline_at::timestamptz[], :started_at::timestamptz[],
                         :finished_at::timestamptz[], :admitted::boolean[], :event::text[], :message::text[],
                         :data::jsonb[])
        AS t(id, from_status, status, attempt, worker_id, result, error, scheduled_at, next_retry_at,
             lease_expires_at, deadline_at, started_at, finished_at, admitted, event, message, data)
), updated AS (
    UPDATE runs r
    SET status = i.status::run_status, attempt = i.attempt, worker_id = i.worker_id, result = i.result,
        error = i.error, scheduled_at = i.scheduled_at, next_retry_at = i.next_retry_at,
        lease_expires_at = i.lease_expires_at, deadline_at = i.deadline_at, started_at = i.started_at,
        finished_at = i.finished_at, admitted = i.admitted
    FROM input i
    WHERE r.id = i.id AND r.status = i.from_status::run_status
    RETURNING RUN_COLUMNS_R, i.event, i.from_status, i.message, i.data
), events AS (
    INSERT INTO run_events (project_id, run_id, type, from_status, to_status, attempt, message, data)
    SELECT project_id, id, event, from_status::run_status, status, attempt, message, data FROM updated
)
SELECT * FROM updated ORDER BY id

-- name: heartbeat
-- By id through the primary key: the status is compared as text so that the planner cannot pick
-- runs_leases or runs_status_list instead, whose 'executing' entries include every dead version
-- not yet vacuumed (see complete_batch). The rows are locked in id order first, the order
-- complete_batch locks them in: an UPDATE alone locks in whatever order its plan visits rows (a
-- bitmap scan goes by page), and a heartbeat deadlocked with a completion of the same worker's runs.
WITH locked AS MATERIALIZED (
    SELECT id FROM runs
    WHERE id = ANY(:run_ids::uuid[]) AND project_id = :project_id AND worker_id = :worker_id AND status::text = 'executing'
    ORDER BY id
    FOR UPDATE
)
UPDATE runs r SET lease_expires_at = now() + :lease_ms * interval '1 millisecond'
FROM locked
WHERE r.id = locked.id AND r.id = ANY (ARRAY(SELECT id FROM locked))  -- held since the lock: no re-check
RETURNING r.id, r.lease_expires_at

-- name: held_status
-- The state of runs a worker holds or held (the batched heartbeat's answer for runs it no longer
-- holds, and the worker's short poll for cancellations): by primary key, read only.
SELECT id, status::text, worker_id FROM runs WHERE id = ANY(:run_ids::uuid[]) AND project_id = :project_id

-- name: promote_due
-- Delayed runs whose time has come become queued (DelayedPromoter). Any node may run it: SKIP
-- LOCKED keeps two promoters off the same rows.
-- The time is a parameter where a test moves it (a TestClock), else null: the database's now().
WITH due AS MATERIALIZED (
    SELECT id FROM runs
    WHERE status = 'delayed' AND scheduled_at <= coalesce(:now::timestamptz, now())
    ORDER BY scheduled_at
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
), promoted AS (
    UPDATE runs r SET status = 'queued', next_retry_at = NULL
    FROM due WHERE r.id = due.id
    RETURNING r.id, r.project_id, r.attempt, r.queue, r.execution, r.limited, r.job_id
), events AS (
    INSERT INTO run_events (project_id, run_id, type, from_status, to_status, attempt)
    SELECT project_id, id, 'promoted', 'delayed', 'queued', attempt FROM promoted
)
SELECT queue, execution, limited, job_id FROM promoted

-- name: next_delayed
SELECT min(scheduled_at) FROM runs WHERE status = 'delayed'

-- name: expired_leases
-- Attempts whose lease ran out (crashed) or whose deadline passed (timed out), and waits that
-- ran out. Locked so that a single reaper handles each. The time is a parameter where a test
-- moves it (a TestClock), else null: the database's now().
SELECT RUN_COLUMNS, coalesce(:now::timestamptz, now()) FROM runs
WHERE id IN (
    (SELECT id FROM runs WHERE status IN ('executing', 'dequeued')
       AND lease_expires_at < coalesce(:now::timestamptz, now())
     ORDER BY lease_expires_at LIMIT :limit)
    UNION
    (SELECT id FROM runs WHERE status = 'executing' AND deadline_at IS NOT NULL
       AND deadline_at < coalesce(:now::timestamptz, now())
     ORDER BY deadline_at LIMIT :limit)
    UNION
    (SELECT id FROM runs WHERE status = 'waiting' AND lease_expires_at < coalesce(:now::timestamptz, now())
     ORDER BY lease_expires_at LIMIT :limit)
)
FOR UPDATE SKIP LOCKED

-- name: ttl_expired
SELECT RUN_COLUMNS, coalesce(:now::timestamptz, now()) FROM runs
WHERE id IN (SELECT id FROM runs WHERE status IN ('queued', 'delayed') AND expires_at IS NOT NULL
             AND expires_at < coalesce(:now::timestamptz, now()) ORDER BY expires_at LIMIT :limit)
FOR UPDATE SKIP LOCKED

-- name: get_run
SELECT RUN_COLUMNS FROM runs WHERE id = :run_id AND project_id = :project_id

-- name: list_runs
-- Listing, newest first, every run or the 'completed' ones (the common state): walk run_list
-- (V6__run_list.sql) by project, or by job, newest first, and fetch each run by primary key.
-- RunReadSql.list puts in the filters asked for: the job and the cursor as parameters (job_id,
-- cursor) on run_list, the status as a literal on runs (see list_runs_in_state). The LIMIT 1
-- keeps the fetch a probe per listed run: as a plain join the planner merged run_list with a
-- backward walk of runs_pkey, which passes every run of every other project newer than the page.
SELECT r.* FROM (SELECT id FROM run_list WHERE project_id = :project_id LIST_FILTERS ORDER BY id DESC) l
CROSS JOIN LATERAL (SELECT RUN_COLUMNS FROM runs WHERE runs.id = l.id RUN_FILTERS LIMIT 1) r
ORDER BY l.id DESC
LIMIT :limit

-- name: list_runs_in_state
-- Listing, newest first, of the runs in one state other than 'completed'. RunReadSql.list puts in
-- the filters asked for (job_id and cursor parameters), and the state as a literal of a RunStatus
-- constant (never request text): a status parameter hides which partial index applies from a
-- generic plan, and with the literal every plan can use runs_status_list (the rarer states) or
-- runs_leases ('executing'). See V4__hot_path.sql.
SELECT RUN_COLUMNS FROM runs
WHERE project_id = :project_id RUN_FILTERS ORDER BY id DESC LIMIT :limit

-- name: run_events
SELECT id, run_id, type, from_status::text, to_status::text, attempt, message, data::text, created_at, seq
FROM run_events
WHERE run_id = :run_id AND project_id = :project_id AND seq > :after_seq
ORDER BY seq
LIMIT :limit

-- name: notify
SELECT pg_notify('drover_runs', :payload)

-- name: reaper_try_lock
SELECT pg_try_advisory_xact_lock(:key)

-- name: admission_lock
SELECT pg_advisory_xact_lock(hashtextextended(:job_id, 7))

-- name: admission_limits
SELECT (spec->>'max_concurrency')::int, (spec->>'max_concurrency_per_key')::int
FROM jobs WHERE id = :job_id

-- name: admission_live
SELECT coalesce(concurrency_key, ''), count(*) FROM runs
WHERE job_id = :job_id AND limited AND status IN ('queued', 'dequeued', 'executing', 'waiting')
  AND (admitted OR status <> 'queued')
GROUP BY 1

-- name: admission_candidates
-- Runs with rate limit keys are never admitted: the claim takes them through runs_rated_claim and
-- runs_rated_push, counting their starts (a job cannot have both kinds of limit: JobSpec).
SELECT id, coalesce(concurrency_key, ''), queue, execution FROM runs
WHERE job_id = :job_id AND limited AND status = 'queued' AND NOT admitted AND rate_keys IS NULL
ORDER BY priority DESC, id
LIMIT :limit

-- name: admit
UPDATE runs SET admitted = true WHERE id = ANY(:run_ids)

-- ---------------------------------------------------------------------------------- lineage
-- Child runs and continuations (Lineage.java). None of these is on the path of a run that has
-- no parent and waits for no children.

-- name: existing_runs
-- The parents a trigger names that exist in its project (the others answer 404).
SELECT id FROM runs WHERE id = ANY(:run_ids::uuid[]) AND project_id = :project_id

-- name: lock_parents
-- The parents of children that settled in this transaction, locked in id order (so that two
-- transactions settling children of the same parents cannot deadlock). Every settling child takes
-- its parent's lock, even when the parent does not wait: a parent that starts waiting locks itself
-- first too (RunChanges.change), so of a wait and a child's settle, or of two children settling at
-- once, the one that locks second runs its open_child check after the first committed, and sees
-- the other's settle. The parent is resumed once, by whichever comes last.
SELECT RUN_COLUMNS, now() FROM runs WHERE id = ANY(:run_ids::uuid[]) ORDER BY id FOR UPDATE

-- name: open_child
-- Whether a run has a child that is not settled (terminal or dead-lettered). run_list's partial
-- index walks the children newest first, the ones most likely still open, and stops at the first.
SELECT EXISTS (
    SELECT 1 FROM run_list l
    CROSS JOIN LATERAL (
        SELECT 1 FROM runs r WHERE r.id = l.id
          AND r.status::text NOT IN ('completed', 'failed', 'timed_out', 'crashed', 'system_failed', 'canceled',
                                     'expired', 'dead_letter')
        LIMIT 1) x
    WHERE l.parent_run_id = :run_id)

-- name: set_waits_for
-- A parent starts waiting for its children ('children'), or is resumed when they settled
-- ('children_settled'); in the transaction of the change that wrote its status and event.
UPDATE runs SET waits_for = :waits_for WHERE id = :run_id RETURNING RUN_COLUMNS

-- name: children_of
-- The children of resumed parents, for their claims: oldest first.
SELECT l.parent_run_id, r.id, r.status::text, r.result::text, r.error::text
FROM run_list l
JOIN runs r ON r.id = l.id
WHERE l.parent_run_id = ANY(:run_ids::uuid[]) AND l.project_id = :project_id
ORDER BY l.parent_run_id, l.id

-- name: set_traceparents
-- The W3C trace contexts of just-inserted runs that carry one (RunTriggers): a second statement
-- only for triggers that give a traceparent, so insert_runs stays as it was for the others.
UPDATE runs r SET traceparent = x.tp
FROM unnest(:ids::uuid[], :traceparents::text[]) AS x (id, tp)
WHERE r.id = x.id

-- name: traceparents
-- The trace contexts of those of :ids that carry one (spans; read only while tracing is on).
SELECT id, traceparent, job_slug FROM runs
WHERE project_id = :project_id AND id = ANY(:ids::uuid[]) AND traceparent IS NOT NULL
