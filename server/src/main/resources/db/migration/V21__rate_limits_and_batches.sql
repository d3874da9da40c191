-- Issue 18 items 7 and 8: named rate limits enforced by the claim, and batch cancel/replay.

-- A named rate limit of a project: at most lim runs of the jobs naming the key start in each
-- fixed window of period_ms (windows counted from the Unix epoch: window_no is
-- floor(epoch_ms / period_ms)). The claim locks the row and counts its starts in the same
-- statement that claims the runs (runs.sql, claim), so every node counts against one row.
CREATE TABLE rate_limits (
    project_id  uuid NOT NULL REFERENCES projects (id),
    key         text NOT NULL,
    lim         int NOT NULL CHECK (lim > 0),
    period_ms   bigint NOT NULL CHECK (period_ms > 0),
    window_no   bigint NOT NULL DEFAULT 0,
    used        int NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, key)
);

-- The keys of the run's job when it was triggered (null for the jobs without: every run before
-- V21 and every run of a job without rate_limit_keys). Nullable without a default: adding it
-- rewrites nothing. Such runs are queued with admitted = false (limited = true), so the claim's
-- plain walk over runs_claim never sees them; the claim finds them through the two partial indexes
-- below, which hold nothing for runs of jobs without keys.
ALTER TABLE runs ADD COLUMN rate_keys text[];
CREATE INDEX runs_rated_claim ON runs (project_id, queue, priority DESC, id)
    WHERE status = 'queued' AND rate_keys IS NOT NULL AND execution = 'worker';
CREATE INDEX runs_rated_push ON runs (priority DESC, id)
    WHERE status = 'queued' AND rate_keys IS NOT NULL AND execution = 'http';

-- A batch cancel or replay (POST /v1/runs/cancel|replay): the filter, the count the caller
-- confirmed, and the progress. BatchWorker takes a pending batch's row FOR UPDATE SKIP LOCKED and
-- changes the next chunk of runs after last_run_id in the same transaction as it moves
-- last_run_id and the counters: a restart resumes at the next chunk, nothing is done twice.
-- upper_id bounds the batch to the runs that existed when it was made (ids are UUIDv7).
CREATE TABLE batches (
    id           uuid PRIMARY KEY,
    project_id   uuid NOT NULL REFERENCES projects (id),
    kind         text NOT NULL CHECK (kind IN ('cancel', 'replay')),
    filter       jsonb NOT NULL,
    status       text NOT NULL CHECK (status IN ('pending', 'running', 'done')),
    matched      int NOT NULL,
    done         int NOT NULL DEFAULT 0,
    failed       int NOT NULL DEFAULT 0,
    upper_id     uuid NOT NULL,
    last_run_id  uuid,
    created_by   text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz
);
CREATE INDEX batches_pending ON batches (created_at) WHERE status <> 'done';
CREATE INDEX batches_finished ON batches (finished_at) WHERE status = 'done';
