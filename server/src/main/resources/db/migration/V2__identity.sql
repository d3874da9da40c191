-- Identity, tenancy and audit: users, memberships, sessions, invitations, password resets, the
-- mail outbox, login throttling, project secrets and the tamper-evident audit log.

ALTER TABLE projects ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

CREATE TABLE users (
    id             uuid PRIMARY KEY,
    email          text NOT NULL,
    display_name   text,
    password_hash  text NOT NULL,               -- argon2id, PHC string format
    is_active      boolean NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
-- Case-insensitive uniqueness without the citext extension (not every PostgreSQL has contrib).
CREATE UNIQUE INDEX users_email ON users (lower(email));

CREATE TABLE memberships (
    project_id  uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role        text NOT NULL CHECK (role IN ('owner', 'admin', 'operator', 'viewer')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

CREATE TABLE sessions (
    id            uuid PRIMARY KEY,
    token_hash    bytea NOT NULL UNIQUE,        -- HMAC-SHA256(pepper, cookie value)
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at    timestamptz NOT NULL,         -- slides forward on use, 14 days
    data          jsonb NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE invitations (
    id           uuid PRIMARY KEY,
    project_id   uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    email        text NOT NULL,
    role         text NOT NULL CHECK (role IN ('owner', 'admin', 'operator', 'viewer')),
    token_hash   bytea NOT NULL UNIQUE,
    expires_at   timestamptz NOT NULL,          -- 72 h after creation
    accepted_at  timestamptz,
    revoked_at   timestamptz,
    created_by   uuid,                           -- a user id, or null when an API key invited
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX invitations_project ON invitations (project_id, id DESC);

CREATE TABLE password_resets (
    id          uuid PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  bytea NOT NULL UNIQUE,
    expires_at  timestamptz NOT NULL,           -- 60 min after creation
    used_at     timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Mail that the Mailer could not or did not send (no SMTP configured): an operator delivers it.
CREATE TABLE mail_outbox (
    id          uuid PRIMARY KEY,
    recipient   text NOT NULL,
    subject     text NOT NULL,
    body        text NOT NULL,
    status      text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent')),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Failed logins per key ("email:<lower email>" or "ip:<address>"), shared by every node.
CREATE TABLE login_failures (
    key           text PRIMARY KEY,
    failures      int NOT NULL,
    window_start  timestamptz NOT NULL,
    locked_until  timestamptz
);

ALTER TABLE api_keys ADD COLUMN created_by uuid;
ALTER TABLE api_keys ADD COLUMN rotated_to uuid;
-- Keys allowed to receive the secrets a job names, in claim responses (worker keys that need them).
ALTER TABLE api_keys ADD COLUMN read_secrets boolean NOT NULL DEFAULT false;

CREATE TABLE secrets (
    id           uuid PRIMARY KEY,
    project_id   uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    environment  text NOT NULL DEFAULT 'default',
    name         text NOT NULL,
    key_id       int NOT NULL,                  -- which encryption key sealed value
    value        bytea NOT NULL,                -- AES-256-GCM: key id | nonce | ciphertext+tag
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (project_id, environment, name)
);

-- The audit log: one hash chain over every row, in seq order. Appends take a transaction-scoped
-- advisory lock, so seq order is commit order across all threads and all nodes.
CREATE TABLE audit_log (
    seq            bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    id             uuid PRIMARY KEY,            -- UUIDv7, time-ordered
    ts             timestamptz NOT NULL,
    actor_type     text NOT NULL,               -- user | api_key | system | anonymous
    actor_id       uuid,
    project_id     uuid,                        -- null for global events (logins)
    action         text NOT NULL,
    target_type    text,
    target_id      text,
    details        jsonb NOT NULL DEFAULT '{}',
    prev_row_hmac  text,                        -- null for the first row
    row_hmac       text NOT NULL
);
CREATE INDEX audit_log_project ON audit_log (project_id, seq DESC);
CREATE INDEX audit_log_action ON audit_log (action);

CREATE FUNCTION audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
