-- AI usage and cost (issue 19): usage records per run, per-project price overrides, budgets and
-- the spend counters that enforce them.

-- The run's total cost, kept by the usage transaction (UPDATE ... RETURNING). Nullable without a
-- default: adding it rewrites nothing, and a run without usage costs nothing (no write, no index).
ALTER TABLE runs ADD COLUMN cost_microusd bigint;

-- One row per usage report. The prices it was computed with stay on the row (per million tokens,
-- in micro-USD; null when the cost was given by the caller or the model is unpriced), so a later
-- price change never rewrites history. input_tokens excludes cached_input_tokens.
CREATE TABLE usage_records (
    id                             uuid PRIMARY KEY,
    project_id                     uuid NOT NULL,
    run_id                         uuid NOT NULL,
    job_id                         uuid NOT NULL,
    worker_id                      text,
    provider                       text NOT NULL,
    model                          text NOT NULL,
    input_tokens                   bigint NOT NULL,
    output_tokens                  bigint NOT NULL,
    cached_input_tokens            bigint NOT NULL,
    cost_microusd                  bigint NOT NULL,
    price_source                   text NOT NULL,
    input_microusd_per_mtok        bigint,
    output_microusd_per_mtok       bigint,
    cached_input_microusd_per_mtok bigint,
    recorded_at                    timestamptz NOT NULL
);
-- A run's usage, in order.
CREATE INDEX usage_records_run ON usage_records (run_id, id);
-- Retention and time-range reads of a project.
CREATE INDEX usage_records_project_time ON usage_records (project_id, recorded_at);

-- A project's prices, overriding the shipped catalog from effective_from on.
CREATE TABLE pricing_overrides (
    project_id                     uuid NOT NULL REFERENCES projects (id),
    provider                       text NOT NULL,
    model                          text NOT NULL,
    effective_from                 timestamptz NOT NULL,
    input_microusd_per_mtok        bigint NOT NULL,
    output_microusd_per_mtok       bigint NOT NULL,
    cached_input_microusd_per_mtok bigint NOT NULL,
    updated_at                     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, provider, model, effective_from)
);

-- A project's budget (one row at most). Null limits are no limit.
CREATE TABLE budgets (
    project_id       uuid PRIMARY KEY REFERENCES projects (id),
    per_run_microusd bigint,
    daily_microusd   bigint,
    monthly_microusd bigint,
    action           text NOT NULL CHECK (action IN ('reject', 'block', 'notify')),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

-- Spend per project and window (a day or a month in the project's time zone, window_start being
-- its first local day), counted by the usage transaction with one INSERT ... ON CONFLICT DO
-- UPDATE ... RETURNING: the row lock makes every count exact across nodes. Only projects with a
-- daily or monthly budget get rows. notified_at: budget.exceeded was emitted for this window.
CREATE TABLE spend_windows (
    project_id     uuid NOT NULL,
    period         text NOT NULL CHECK (period IN ('day', 'month')),
    window_start   date NOT NULL,
    window_end     timestamptz NOT NULL,
    spent_microusd bigint NOT NULL DEFAULT 0,
    notified_at    timestamptz,
    PRIMARY KEY (project_id, period, window_start)
);
