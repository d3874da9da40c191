-- Workflows: versioned DAG definitions, workflow runs and their step runs, the decision log that
-- explains them, approvals and event waits. Fan-in is driven by counters on step runs (deps_done,
-- deps_blocked) and on workflow runs (steps_left), never by scanning siblings.

-- A job step is an ordinary run of its job; these columns link it back to its workflow step.
ALTER TABLE runs ADD COLUMN workflow_run_id uuid, ADD COLUMN step_id text;
CREATE INDEX runs_workflow ON runs (workflow_run_id) WHERE workflow_run_id IS NOT NULL;

CREATE TABLE workflows (
    id           uuid PRIMARY KEY,
    project_id   uuid NOT NULL REFERENCES projects (id),
    slug         text NOT NULL,
    version      int NOT NULL DEFAULT 1,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    deleted_at   timestamptz
);
CREATE UNIQUE INDEX workflows_slug ON workflows (project_id, slug) WHERE deleted_at IS NULL;

-- Immutable: a version is written once and never changed; runs are pinned to (workflow_id, version).
-- The steps live in the spec (one JSON document per version) rather than in a steps table: they are
-- always read and validated together, and the parsed version is cached forever by the server.
CREATE TABLE workflow_versions (
    workflow_id  uuid NOT NULL REFERENCES workflows (id),
    version      int NOT NULL,
    project_id   uuid NOT NULL,
    spec         jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workflow_id, version)
);

CREATE TABLE workflow_runs (
    id                  uuid PRIMARY KEY,
    project_id          uuid NOT NULL,
    workflow_id         uuid NOT NULL REFERENCES workflows (id),
    workflow_slug       text NOT NULL,
    version             int NOT NULL,
    status              text NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'failed', 'canceled')),
    input               jsonb,
    output              jsonb,
    error               jsonb,
    idempotency_key     text,
    parent_run_id       uuid,            -- the workflow run whose sub_workflow step started this one
    parent_step_id      text,
    depth               int NOT NULL DEFAULT 0,
    steps_left          int NOT NULL,    -- steps not yet settled; 0 finishes the run
    compensating        boolean NOT NULL DEFAULT false,
    compensation_queue  text[] NOT NULL DEFAULT '{}',  -- steps still to compensate, next first
    created_at          timestamptz NOT NULL DEFAULT now(),
    started_at          timestamptz,
    finished_at         timestamptz,
    CONSTRAINT workflow_runs_finished CHECK ((finished_at IS NOT NULL) = (status IN ('completed', 'failed', 'canceled')))
);
CREATE UNIQUE INDEX workflow_runs_idempotency ON workflow_runs (workflow_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX workflow_runs_list ON workflow_runs (project_id, id DESC);
CREATE INDEX workflow_runs_parent ON workflow_runs (parent_run_id) WHERE parent_run_id IS NOT NULL;

CREATE TABLE workflow_step_runs (
    workflow_run_id   uuid NOT NULL REFERENCES workflow_runs (id),
    step_id           text NOT NULL,
    project_id        uuid NOT NULL,
    type              text NOT NULL,
    status            text NOT NULL CHECK (status IN ('pending', 'running', 'waiting', 'completed', 'failed',
                                                      'skipped', 'canceled')),
    deps_total        int NOT NULL,
    deps_done         int NOT NULL DEFAULT 0,   -- settled dependencies
    deps_blocked      int NOT NULL DEFAULT 0,   -- dependencies whose outcome skips this step
    skip_reason       text,                     -- condition | upstream
    attempt           int NOT NULL DEFAULT 0,
    run_id            uuid,                     -- the current job run of a job step
    child_run_id      uuid,                     -- the workflow run of a sub_workflow step
    concurrency_key   text,
    blocked           boolean NOT NULL DEFAULT false,  -- ready, but its concurrency key is held
    due_at            timestamptz,              -- sleep end, approval expiry, event or step timeout
    output            jsonb,
    error             jsonb,
    settled_seq       bigint,                   -- order of settling (compensation runs in reverse)
    compensated       boolean NOT NULL DEFAULT false,
    started_at        timestamptz,
    finished_at       timestamptz,
    PRIMARY KEY (workflow_run_id, step_id)
);
CREATE SEQUENCE workflow_step_settled_seq;
-- The timer service: steps whose time ran out.
CREATE INDEX workflow_step_runs_due ON workflow_step_runs (due_at) WHERE status IN ('running', 'waiting') AND due_at IS NOT NULL;
CREATE INDEX workflow_step_runs_run ON workflow_step_runs (run_id) WHERE run_id IS NOT NULL;
-- Concurrency keys: who holds a key, and who waits for it.
CREATE INDEX workflow_step_runs_key ON workflow_step_runs (project_id, concurrency_key, blocked)
    WHERE concurrency_key IS NOT NULL AND status IN ('pending', 'running', 'waiting');

-- The explain log: one row per scheduling decision, in order.
CREATE TABLE workflow_step_decisions (
    seq              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id       uuid NOT NULL,
    workflow_run_id  uuid NOT NULL,
    step_id          text,                    -- null for decisions about the whole run
    decision         text NOT NULL,
    message          text NOT NULL,
    details          jsonb,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX workflow_step_decisions_run ON workflow_step_decisions (workflow_run_id, seq);

-- Approvals: approval steps of workflow runs and standalone requests (agents asking a human).
CREATE TABLE approvals (
    id                  uuid PRIMARY KEY,
    project_id          uuid NOT NULL,
    workflow_run_id     uuid,
    step_id             text,
    action              text NOT NULL,
    details             jsonb,
    risk_level          text NOT NULL DEFAULT 'medium' CHECK (risk_level IN ('low', 'medium', 'high', 'critical')),
    status              text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected', 'expired', 'canceled')),
    comment             text,
    resolved_by         text,
    continuation_event  text,             -- event key sent when the request is resolved
    expires_at          timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    resolved_at         timestamptz
);
CREATE INDEX approvals_pending ON approvals (expires_at) WHERE status = 'pending' AND expires_at IS NOT NULL;
CREATE INDEX approvals_list ON approvals (project_id, id DESC);
CREATE UNIQUE INDEX approvals_step ON approvals (workflow_run_id, step_id) WHERE workflow_run_id IS NOT NULL AND status = 'pending';

-- Durable event waits: a wait_for_event step waits on a key until an event is sent or it times out.
CREATE TABLE event_triggers (
    id               uuid PRIMARY KEY,
    project_id       uuid NOT NULL,
    event_key        text NOT NULL,
    status           text NOT NULL CHECK (status IN ('waiting', 'resolved', 'timed_out', 'canceled')),
    workflow_run_id  uuid,
    step_id          text,
    payload          jsonb,
    expires_at       timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    resolved_at      timestamptz
);
CREATE INDEX event_triggers_key ON event_triggers (project_id, event_key text_pattern_ops) WHERE status = 'waiting';
CREATE INDEX event_triggers_step ON event_triggers (workflow_run_id, step_id) WHERE workflow_run_id IS NOT NULL;

-- Events sent by key: the first payload wins; the same payload again is a no-op, another is refused.
CREATE TABLE events (
    project_id  uuid NOT NULL,
    event_key   text NOT NULL,
    payload     jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, event_key)
);
