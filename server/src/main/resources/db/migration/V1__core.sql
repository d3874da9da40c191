-- Drover execution core: projects, API keys, jobs and their versions, runs, run events, schedules.
-- Every table carries project_id from the start so that tenancy never needs a rewrite.

-- UUIDv7 for rows created inside SQL (run events). Application code makes its own (UuidV7.java).
-- Works on PostgreSQL 15+ (18 has uuidv7() built in; we do not rely on it).
CREATE FUNCTION drover_uuidv7() RETURNS uuid
LANGUAGE sql VOLATILE PARALLEL SAFE AS $$
  SELECT encode(
           set_bit(set_bit(
             overlay(uuid_send(gen_random_uuid())
                     placing substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
                     FROM 1 FOR 6),
             52, 1), 53, 1),
           'hex')::uuid
$$;

CREATE TABLE projects (
    id          uuid PRIMARY KEY,
    slug        text NOT NULL UNIQUE,
    name        text NOT NULL,
    settings    jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
    id            uuid PRIMARY KEY,
    project_id    uuid NOT NULL REFERENCES projects (id),
    name          text NOT NULL,
    prefix        text NOT NULL,                 -- first characters, shown in lists to tell keys apart
    key_hash      bytea NOT NULL UNIQUE,         -- HMAC-SHA256(pepper, key); the key itself is never stored
    role          text NOT NULL CHECK (role IN ('owner', 'admin', 'operator', 'viewer')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz,
    expires_at    timestamptz,
    revoked_at    timestamptz
);
CREATE INDEX api_keys_project ON api_keys (project_id);

CREATE TABLE jobs (
    id                       uuid PRIMARY KEY,
    project_id               uuid NOT NULL REFERENCES projects (id),
    slug                     text NOT NULL,
    version                  int NOT NULL DEFAULT 1,
    spec                     jsonb NOT NULL,     -- the job definition as the API shows it (JobSpec)
    queue                    text NOT NULL,
    execution                text NOT NULL CHECK (execution IN ('worker', 'http')),
    signing_secret           bytea,              -- AES-256-GCM sealed; http jobs only
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now(),
    deleted_at               timestamptz
);
CREATE UNIQUE INDEX jobs_slug ON jobs (project_id, slug) WHERE deleted_at IS NULL;

CREATE TABLE job_versions (
    job_id      uuid NOT NULL REFERENCES jobs (id),
    version     int NOT NULL,
    project_id  uuid NOT NULL,
    spec        jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (job_id, version)
);

-- The 13 states of the run state machine (RunStatus.java holds the transition table).
CREATE TYPE run_status AS ENUM (
    'delayed', 'queued', 'dequeued', 'executing', 'waiting',
    'completed', 'failed', 'timed_out', 'crashed', 'system_failed', 'canceled', 'expired',
    'dead_letter'
);

CREATE TABLE runs (
    id                uuid PRIMARY KEY,
    project_id        uuid NOT NULL,
    job_id            uuid NOT NULL REFERENCES jobs (id),
    job_slug          text NOT NULL,
    job_version       int NOT NULL,
    queue             text NOT NULL,
    execution         text NOT NULL,
    status            run_status NOT NULL,
    -- false while a run of a job with concurrency limits waits for a slot (see ConcurrencyGate).
    admitted          boolean NOT NULL DEFAULT true,
    limited           boolean NOT NULL DEFAULT false,
    attempt           int NOT NULL DEFAULT 0,
    max_attempts      int NOT NULL,
    priority          int NOT NULL DEFAULT 0,
    payload           jsonb,
    metadata          jsonb NOT NULL DEFAULT '{}',
    result            jsonb,
    error             jsonb,
    idempotency_key   text,
    concurrency_key   text,
    worker_id         text,
    scheduled_at      timestamptz NOT NULL,
    next_retry_at     timestamptz,
    lease_expires_at  timestamptz,
    timeout_secs      int,                      -- copied from the job version at trigger time
    deadline_at       timestamptz,              -- started_at + timeout_secs for the current attempt
    expires_at        timestamptz,              -- created_at + ttl_secs: not started by then -> expired
    replay_of         uuid,
    schedule_id       uuid,
    created_at        timestamptz NOT NULL DEFAULT now(),
    started_at        timestamptz,
    finished_at       timestamptz,
    CONSTRAINT runs_finished CHECK (
        (finished_at IS NOT NULL) = (status IN ('completed', 'failed', 'timed_out', 'crashed', 'system_failed',
                                                'canceled', 'expired', 'dead_letter'))),
    CONSTRAINT runs_leased CHECK (status NOT IN ('executing', 'dequeued') OR lease_expires_at IS NOT NULL)
) WITH (fillfactor = 80);  -- room on each page for the 2-3 new row versions a run gets in its life

-- The claim path: ready runs of a queue in priority order. Partial, so it only holds queued runs.
CREATE INDEX runs_claim ON runs (project_id, queue, priority DESC, id)
    WHERE status = 'queued' AND admitted AND execution = 'worker';
-- The HTTP push dispatcher's claim: ready http runs of every project, in priority order.
CREATE INDEX runs_push ON runs (priority DESC, id) WHERE status = 'queued' AND admitted AND execution = 'http';
-- The promoter: delayed runs whose time has come.
CREATE INDEX runs_delayed ON runs (scheduled_at) WHERE status = 'delayed';
-- The reaper: expired leases, passed deadlines, expired TTLs.
CREATE INDEX runs_leases ON runs (lease_expires_at) WHERE status IN ('executing', 'dequeued');
CREATE INDEX runs_deadlines ON runs (deadline_at) WHERE status = 'executing' AND deadline_at IS NOT NULL;
CREATE INDEX runs_waiting ON runs (lease_expires_at) WHERE status = 'waiting';
CREATE INDEX runs_ttl ON runs (expires_at) WHERE status IN ('queued', 'delayed') AND expires_at IS NOT NULL;
-- Concurrency limits: admitted and waiting runs of limited jobs, per job and key.
CREATE INDEX runs_limited ON runs (job_id, concurrency_key, priority DESC, id)
    WHERE limited AND status IN ('queued', 'dequeued', 'executing', 'waiting');
-- Idempotency: one run per (job, key); ON CONFLICT uses it under concurrent triggers.
CREATE UNIQUE INDEX runs_idempotency ON runs (job_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
-- Listing: newest first, by project, optionally by job / status.
CREATE INDEX runs_project_list ON runs (project_id, id DESC);
CREATE INDEX runs_job_list ON runs (job_id, id DESC);
CREATE INDEX runs_status_list ON runs (project_id, status, id DESC);
-- Schedules with overlap policy look for their live runs.
CREATE INDEX runs_schedule_live ON runs (schedule_id)
    WHERE schedule_id IS NOT NULL AND status IN ('delayed', 'queued', 'dequeued', 'executing', 'waiting');

CREATE TABLE run_events (
    seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- total order of writes
    id           uuid NOT NULL DEFAULT drover_uuidv7(),
    project_id   uuid NOT NULL,
    run_id       uuid NOT NULL,
    type         text NOT NULL,
    from_status  run_status,
    to_status    run_status,
    attempt      int NOT NULL,
    message      text,
    data         jsonb,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX run_events_run ON run_events (run_id, seq);

CREATE TABLE schedules (
    id              uuid PRIMARY KEY,
    project_id      uuid NOT NULL,
    job_id          uuid NOT NULL REFERENCES jobs (id),
    kind            text NOT NULL CHECK (kind IN ('cron', 'interval', 'at')),
    expression      text,                      -- cron expression
    interval_secs   bigint,
    at              timestamptz,
    timezone        text NOT NULL DEFAULT 'UTC',
    overlap_policy  text NOT NULL DEFAULT 'allow' CHECK (overlap_policy IN ('allow', 'skip', 'cancel_running')),
    next_fire_at    timestamptz,               -- null when finished (an `at` that has fired)
    last_fired_at   timestamptz,
    enabled         boolean NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (job_id)
);
CREATE INDEX schedules_due ON schedules (next_fire_at) WHERE enabled AND next_fire_at IS NOT NULL;

-- One row per fired tick: the primary key makes each tick fire once, across any number of nodes.
CREATE TABLE schedule_ticks (
    schedule_id  uuid NOT NULL,
    fire_at      timestamptz NOT NULL,
    run_id       uuid,
    outcome      text NOT NULL,                -- fired | skipped
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (schedule_id, fire_at)
);
