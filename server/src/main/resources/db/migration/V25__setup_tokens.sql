-- The first owner's one-time link (/ui/setup?token=...), printed on a start where no user exists.
-- Stored only as an HMAC of the token (io.drover.identity.Tokens), valid 24 h, single use: using one
-- creates the first owner and deletes them all. Global (no project_id): no project member exists yet.
-- At most a few rows: each start without users deletes the expired ones before adding its own.
CREATE TABLE setup_tokens (
    id         uuid PRIMARY KEY,
    token_hash bytea NOT NULL UNIQUE,
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
