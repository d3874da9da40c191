-- Service level objectives (issue 19, item 5; API.md "Usage, cost, budgets, metrics, SLOs"): a
-- job's objective over a rolling window, evaluated from job_hourly by one singleton pass
-- (io.drover.slos.SloEvaluator), never from the runs table.

-- One objective. The last evaluation is kept on the row itself, so that reading an SLO costs one
-- row; status is what the events (slo.burn_rate_high|slo.breached|slo.recovered) compare against,
-- so each change is told once. Deleted with its job (JobListener), and its history with it.
CREATE TABLE slos (
    id               uuid PRIMARY KEY,
    project_id       uuid NOT NULL REFERENCES projects (id),
    job_id           uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    name             text NOT NULL,
    metric           text NOT NULL CHECK (metric IN ('success_rate', 'duration_p95_ms', 'duration_p99_ms')),
    target           double precision NOT NULL,
    window_days      int NOT NULL CHECK (window_days BETWEEN 1 AND 90),
    status           text NOT NULL DEFAULT 'ok' CHECK (status IN ('ok', 'warning', 'breached')),
    current_value    double precision,
    budget_remaining double precision NOT NULL DEFAULT 1,
    burn_rate_1h     double precision NOT NULL DEFAULT 0,
    burn_rate_6h     double precision NOT NULL DEFAULT 0,
    evaluated_at     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now()
);
-- A name is unique per job; the list is newest first by id; deleting a job finds its SLOs.
CREATE UNIQUE INDEX slos_job_name ON slos (project_id, job_id, name);
CREATE INDEX slos_project ON slos (project_id, id);
CREATE INDEX slos_job ON slos (job_id);

-- The history: one row per SLO and evaluation pass. window_runs / window_bad are the runs the
-- window counted and the bad ones (weighted: the oldest hour of a window counts in part).
-- Pruned by retention_days (RetentionPass target) and with its SLO.
CREATE TABLE slo_evaluations (
    id               uuid PRIMARY KEY,
    project_id       uuid NOT NULL,
    slo_id           uuid NOT NULL REFERENCES slos (id) ON DELETE CASCADE,
    evaluated_at     timestamptz NOT NULL,
    status           text NOT NULL,
    current_value    double precision,
    budget_remaining double precision NOT NULL,
    burn_rate_1h     double precision NOT NULL,
    burn_rate_6h     double precision NOT NULL,
    window_runs      double precision NOT NULL,
    window_bad       double precision NOT NULL
);
-- The history of one SLO newest first (UUIDv7 ids follow insertion); retention by project and age.
CREATE INDEX slo_evaluations_slo ON slo_evaluations (slo_id, id);
CREATE INDEX slo_evaluations_age ON slo_evaluations (project_id, evaluated_at);
