-- Issue 17 items 4 and 5: inbound event sources with their subscriptions and ingested events, and
-- the circuit breaker state of outbound endpoints.

-- A place outside systems POST events to (/v1/ingest/{id}). The secret is sealed with SecretBox
-- (AES-256-GCM, the row's project and id as associated data); null when verify is 'none'.
CREATE TABLE event_sources (
    id          uuid PRIMARY KEY,
    project_id  uuid NOT NULL REFERENCES projects (id),
    slug        text NOT NULL,
    verify      text NOT NULL CHECK (verify IN ('standard_webhooks', 'hmac_sha256', 'none')),
    secret      bytea,
    key_id      smallint NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (project_id, slug)
);

-- What an accepted event triggers: a job or a workflow, when the filter (a workflow condition
-- over event.*) holds, with a payload rendered from the template (null: the event itself).
CREATE TABLE event_subscriptions (
    id           uuid PRIMARY KEY,
    project_id   uuid NOT NULL,
    source_id    uuid NOT NULL REFERENCES event_sources (id) ON DELETE CASCADE,
    job_id       uuid REFERENCES jobs (id),
    workflow_id  uuid REFERENCES workflows (id),
    filter       jsonb,
    payload      jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CHECK ((job_id IS NULL) <> (workflow_id IS NULL))
);
CREATE INDEX event_subscriptions_source ON event_subscriptions (source_id, id);

-- One row per accepted delivery; the unique index is the de-duplication by the sender's delivery id.
CREATE TABLE ingested_events (
    id           uuid PRIMARY KEY,
    project_id   uuid NOT NULL,
    source_id    uuid NOT NULL REFERENCES event_sources (id) ON DELETE CASCADE,
    delivery_id  text NOT NULL,
    body         jsonb NOT NULL,
    triggered    jsonb NOT NULL DEFAULT '[]',
    received_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX ingested_events_delivery ON ingested_events (project_id, source_id, delivery_id);
CREATE INDEX ingested_events_age ON ingested_events (project_id, received_at);

-- One row per outbound endpoint (scheme://host:port), shared by every project that sends to it (the
-- remote server is one, whoever calls it), so that all nodes agree on its circuit. Global: listed in
-- docs/scale-out.md. Bounded by the number of distinct endpoints.
CREATE TABLE endpoint_circuits (
    endpoint              text PRIMARY KEY,
    circuit               text NOT NULL DEFAULT 'closed' CHECK (circuit IN ('closed', 'open', 'half_open')),
    samples               bigint NOT NULL DEFAULT 0,
    consecutive_failures  int NOT NULL DEFAULT 0,
    success_rate          double precision NOT NULL DEFAULT 1,
    timeout_rate          double precision NOT NULL DEFAULT 0,
    latency_ms            double precision,
    opened_at             timestamptz,
    open_until            timestamptz,
    probe_until           timestamptz,
    last_failure_at       timestamptz,
    updated_at            timestamptz NOT NULL DEFAULT now()
);
