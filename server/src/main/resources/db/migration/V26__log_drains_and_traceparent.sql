-- Log drains (issue 17, item 6; API.md "Inbound event sources, endpoint health, log drains"): a
-- project's events POSTed in NDJSON batches to a URL, durably, signed like webhooks.

-- One drain. cursor is the drain's own position in the event log (EventId text; events after it
-- are still to be sent); it moves only after a batch was answered 2xx, or gave up. While a batch is
-- in flight or waits for a retry, batch_end fixes where it ends, so that every attempt of a batch
-- sends the same events under the same webhook-id. The secret is sealed with SecretBox (associated
-- data: the drain's id). lease_owner/lease_expires_at: the node sending the batch now.
CREATE TABLE log_drains (
    id               uuid PRIMARY KEY,
    project_id       uuid NOT NULL REFERENCES projects (id),
    url              text NOT NULL,
    event_types      text[] NOT NULL DEFAULT '{}',
    format           text NOT NULL DEFAULT 'ndjson' CHECK (format IN ('ndjson')),
    enabled          boolean NOT NULL DEFAULT true,
    secret           bytea NOT NULL,
    cursor           text NOT NULL,
    batch_end        text,
    attempts         int NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    lease_owner      text,
    lease_expires_at timestamptz,
    last_status_code int,
    last_error       text,
    last_sent_at     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX log_drains_project ON log_drains (project_id, id);

-- One row per finished batch: sent (2xx) or dead (gave up after the attempts). Pruned by the
-- retention pass like webhook deliveries.
CREATE TABLE log_drain_batches (
    id               uuid PRIMARY KEY,
    project_id       uuid NOT NULL,
    drain_id         uuid NOT NULL REFERENCES log_drains (id) ON DELETE CASCADE,
    webhook_id       text NOT NULL,
    first_event_id   text NOT NULL,
    last_event_id    text NOT NULL,
    events           int NOT NULL,
    status           text NOT NULL CHECK (status IN ('succeeded', 'dead')),
    attempts         int NOT NULL,
    last_status_code int,
    last_error       text,
    finished_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX log_drain_batches_list ON log_drain_batches (drain_id, id);
CREATE INDEX log_drain_batches_retention ON log_drain_batches (project_id, finished_at);

-- OpenTelemetry (issue 17, item 7): the W3C traceparent given at trigger, carried on the run, sent
-- with HTTP push and in claim answers. Nullable without a default: adding it rewrites nothing.
ALTER TABLE runs ADD COLUMN traceparent text;
