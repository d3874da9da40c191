-- Aggregates (issue 19, item 4): hourly rollups of usage and of finished runs, kept incrementally
-- and outliving the raw rows (retention does not prune them).

-- Usage per project, hour (UTC), job, provider and model, added to by the usage transaction.
-- runs counts each run once: in the hour and key of its first usage record.
CREATE TABLE usage_hourly (
    project_id          uuid NOT NULL,
    hour                timestamptz NOT NULL,
    job_id              uuid NOT NULL,
    provider            text NOT NULL,
    model               text NOT NULL,
    records             bigint NOT NULL DEFAULT 0,
    runs                bigint NOT NULL DEFAULT 0,
    input_tokens        bigint NOT NULL DEFAULT 0,
    output_tokens       bigint NOT NULL DEFAULT 0,
    cached_input_tokens bigint NOT NULL DEFAULT 0,
    cost_microusd       bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (project_id, hour, job_id, provider, model)
);

-- Finished runs per project, job and hour (UTC) of finishing, written by one singleton loop that
-- reads the event log after its cursor (RunRollups). duration_buckets is a fixed log-spaced
-- histogram of started_at -> finished_at of the runs that started (index i: durations in
-- (g^(i-1), g^i] ms, g = 1.105; index 0: up to 1 ms), so percentiles come within 5%.
CREATE TABLE job_hourly (
    project_id       uuid NOT NULL,
    job_id           uuid NOT NULL,
    hour             timestamptz NOT NULL,
    runs             bigint NOT NULL DEFAULT 0,
    completed        bigint NOT NULL DEFAULT 0,
    failed           bigint NOT NULL DEFAULT 0,
    canceled         bigint NOT NULL DEFAULT 0,
    other            bigint NOT NULL DEFAULT 0,
    duration_count   bigint NOT NULL DEFAULT 0,
    duration_sum_ms  double precision NOT NULL DEFAULT 0,
    duration_buckets bigint[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (project_id, job_id, hour)
);

-- How far the run rollup has read the event log (one row, global like webhook_fanout_cursor).
CREATE TABLE run_rollup_cursor (
    id     int PRIMARY KEY CHECK (id = 1),
    cursor text
);
INSERT INTO run_rollup_cursor (id, cursor) VALUES (1, NULL);
