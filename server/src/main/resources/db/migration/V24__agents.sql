-- Issue 20 items 1-5: agents beside other engines (Quartz, JobRunr, db-scheduler, Spring, Celery...),
-- the tasks and task events they report, their observed schedules, and the commands sent back.

-- A registered agent. The token is shown once; only HMAC-SHA256(derived key, token) is kept, found
-- through the unique index and compared in constant time (io.drover.agents.AgentStore). state is
-- 'unknown' until the first hello. offline_at is the due time of the liveness pass: last_seen_at +
-- offline_after_ms, set by every hello and heartbeat; the pass finds the agents whose time passed
-- through the partial index agents_offline_due, never by looking at every agent.
CREATE TABLE agents (
    id                uuid PRIMARY KEY,
    project_id        uuid NOT NULL REFERENCES projects (id),
    name              text NOT NULL,
    labels            jsonb NOT NULL DEFAULT '{}',
    token_hash        bytea NOT NULL,
    token_prefix      text NOT NULL,
    state             text NOT NULL DEFAULT 'unknown' CHECK (state IN ('online', 'degraded', 'offline', 'unknown')),
    protocol_version  int,
    framework         text,
    engines           jsonb NOT NULL DEFAULT '[]',
    schedulers        jsonb NOT NULL DEFAULT '[]',
    capabilities      jsonb NOT NULL DEFAULT '[]',
    metadata          jsonb NOT NULL DEFAULT '{}',
    error_rate        double precision,
    sample_error      text,
    active_tasks      int,
    current_task      text,
    uptime_secs       bigint,
    last_seen_at      timestamptz,
    last_connect_at   timestamptz,
    offline_at        timestamptz,
    state_changed_at  timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (project_id, name)
);
CREATE UNIQUE INDEX agents_token ON agents (token_hash);
CREATE INDEX agents_offline_due ON agents (offline_at) WHERE state IN ('online', 'degraded');
CREATE INDEX agents_by_state ON agents (project_id, state, id);

-- One task of another engine, as its agent reported it. (agent_id, engine, external_id) is the
-- engine's own identity of the task; last_seq is the seq of the newest event folded in, so that an
-- event delivered out of order never moves the state back. Rows stay when their agent is deleted
-- (the history is the project's), and go with the project's retention_days once finished.
CREATE TABLE agent_tasks (
    id           uuid PRIMARY KEY,
    project_id   uuid NOT NULL,
    agent_id     uuid NOT NULL,
    external_id  text NOT NULL,
    engine       text NOT NULL,
    name         text,
    queue        text,
    state        text NOT NULL CHECK (state IN ('pending', 'started', 'succeeded', 'failed', 'cancelled',
                                                'retried', 'lost')),
    args         jsonb,
    kwargs       jsonb,
    error        jsonb,
    retried_as   text,
    group_id     text,
    enqueued_at  timestamptz,
    started_at   timestamptz,
    finished_at  timestamptz,
    last_seq     bigint NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (agent_id, engine, external_id)
);
-- GET /v1/tasks walks one of these backwards from the cursor, newest first (ids are UUIDv7).
CREATE INDEX agent_tasks_project ON agent_tasks (project_id, id);
CREATE INDEX agent_tasks_engine ON agent_tasks (project_id, engine, id);
CREATE INDEX agent_tasks_state ON agent_tasks (project_id, state, id);
CREATE INDEX agent_tasks_name ON agent_tasks (project_id, name, id);
CREATE INDEX agent_tasks_agent ON agent_tasks (agent_id, id);
-- Retention: finished tasks by age.
CREATE INDEX agent_tasks_finished ON agent_tasks (project_id, finished_at) WHERE finished_at IS NOT NULL;

-- Every accepted event. The primary key (agent_id, seq) is what makes delivery idempotent: an
-- event whose seq is here already is a duplicate and changes nothing.
CREATE TABLE agent_task_events (
    agent_id     uuid NOT NULL,
    seq          bigint NOT NULL,
    project_id   uuid NOT NULL,
    engine       text NOT NULL,
    external_id  text NOT NULL,
    type         text NOT NULL,
    ts           timestamptz NOT NULL,
    data         jsonb,
    received_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (agent_id, seq)
);
CREATE INDEX agent_task_events_task ON agent_task_events (agent_id, external_id, seq);
CREATE INDEX agent_task_events_age ON agent_task_events (project_id, received_at);

-- The schedules an agent observes in its engine, replaced whole by each schedules frame.
CREATE TABLE agent_schedules (
    agent_id     uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    name         text NOT NULL,
    project_id   uuid NOT NULL,
    scheduler    text,
    task         text,
    type         text CHECK (type IN ('cron', 'interval', 'date')),
    expression   text,
    enabled      boolean NOT NULL DEFAULT true,
    next_run_at  timestamptz,
    last_run_at  timestamptz,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (agent_id, name)
);

-- A command for an agent: retry or cancel a task, pause or resume a schedule.
-- pending -> acked -> succeeded | failed; pending or acked past expires_at -> expired (liveness pass).
CREATE TABLE agent_commands (
    id           uuid PRIMARY KEY,
    project_id   uuid NOT NULL,
    agent_id     uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    type         text NOT NULL CHECK (type IN ('retry', 'cancel', 'pause_schedule', 'resume_schedule')),
    target       text NOT NULL,
    task_id      uuid,
    args         jsonb NOT NULL DEFAULT '{}',
    status       text NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'acked', 'succeeded', 'failed', 'expired')),
    message      text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    acked_at     timestamptz,
    finished_at  timestamptz,
    expires_at   timestamptz NOT NULL
);
CREATE INDEX agent_commands_pending ON agent_commands (agent_id, id) WHERE status = 'pending';
CREATE INDEX agent_commands_due ON agent_commands (expires_at) WHERE status IN ('pending', 'acked');
CREATE INDEX agent_commands_finished ON agent_commands (project_id, finished_at) WHERE finished_at IS NOT NULL;
