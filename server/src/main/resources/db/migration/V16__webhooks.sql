-- Outbound webhooks (issue 17, item 3; API.md "Outbound webhooks"): subscriptions, durable
-- deliveries, and the fan-out's cursor into the event log.

-- A project's webhook subscriptions. Secrets are sealed with SecretBox (associated data: the
-- webhook's id); after a rotation the previous secret keeps signing until previous_expires_at.
CREATE TABLE webhooks (
    id                  uuid PRIMARY KEY,
    project_id          uuid NOT NULL REFERENCES projects (id),
    url                 text NOT NULL,
    event_types         text[] NOT NULL DEFAULT '{}',
    description         text,
    enabled             boolean NOT NULL DEFAULT true,
    secret              bytea NOT NULL,
    previous_secret     bytea,
    previous_expires_at timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
-- The list of a project's webhooks, and the fan-out's lookup of the enabled ones.
CREATE INDEX webhooks_project ON webhooks (project_id, id);

-- One row per (event, webhook): written by the fan-out in the transaction that moves its cursor,
-- so an event is turned into deliveries exactly once. seq is taken in event order (the fan-out is
-- a singleton reading the log in id order) and orders the deliveries of one run to one webhook.
-- A sender holds a pending delivery while it sends it (lease_owner, lease_expires_at; the row's
-- next_attempt_at is moved to the lease's end, so a dead sender's delivery is simply due again).
CREATE TABLE webhook_deliveries (
    id               uuid PRIMARY KEY,
    project_id       uuid NOT NULL,
    webhook_id       uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    seq              bigint GENERATED ALWAYS AS IDENTITY,
    event_id         text NOT NULL,
    event_type       text NOT NULL,
    run_id           uuid,
    payload          jsonb NOT NULL,
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'dead')),
    attempts         int NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL,
    last_status_code int,
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz,
    finished_at      timestamptz,
    lease_owner      text,
    lease_expires_at timestamptz,
    UNIQUE (webhook_id, event_id)
);
-- The sender's take: pending deliveries by due time (a leased one is due when its lease ends).
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
-- Per run per webhook ordering: "is an earlier delivery of this run to this webhook still pending?"
CREATE INDEX webhook_deliveries_run_order ON webhook_deliveries (webhook_id, run_id, seq)
    WHERE status = 'pending' AND run_id IS NOT NULL;
-- GET /v1/webhooks/{id}/deliveries, newest first, with or without ?status=.
CREATE INDEX webhook_deliveries_list ON webhook_deliveries (webhook_id, id);
CREATE INDEX webhook_deliveries_list_status ON webhook_deliveries (webhook_id, status, id);
-- The retention pass: finished (succeeded or dead) deliveries of a project, oldest first.
CREATE INDEX webhook_deliveries_retention ON webhook_deliveries (project_id, finished_at)
    WHERE status IN ('succeeded', 'dead');

-- Global, one row: how far the fan-out has read the event log (EventReader's opaque cursor; null
-- before the first event). Moved in the same transaction as the deliveries it wrote.
CREATE TABLE webhook_fanout_cursor (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    cursor     text,
    updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO webhook_fanout_cursor (singleton) VALUES (true);
