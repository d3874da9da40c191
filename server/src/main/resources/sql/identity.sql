-- Users, sessions, API keys, projects, memberships, invitations, password resets and login
-- throttling. Column lists in the same order as the code that reads them by position.

-- name: user_by_email
-- Emails are unique without regard to case (a unique index on lower(email)).
SELECT id, email, display_name, password_hash, is_active, created_at FROM users WHERE lower(email) = lower(:email)

-- name: user_by_id
SELECT id, email, display_name, password_hash, is_active, created_at FROM users WHERE id = :id

-- name: insert_user
INSERT INTO users (id, email, display_name, password_hash)
VALUES (:id, :email, :display_name, :password_hash)
RETURNING id, email, display_name, password_hash, is_active, created_at

-- name: set_user_password
UPDATE users SET password_hash = :password_hash, updated_at = now() WHERE id = :id

-- name: insert_session
INSERT INTO sessions (id, token_hash, user_id, expires_at)
VALUES (:id, :token_hash, :user_id, now() + make_interval(secs => :ttl_secs)) RETURNING expires_at

-- name: slide_session
-- Slide only when the last slide is over a minute old: one write a minute, not per request.
-- :now is the database's clock (null) unless a test moves one.
UPDATE sessions s SET expires_at = now() + make_interval(secs => :ttl_secs), last_seen_at = now()
FROM users u
WHERE s.token_hash = :token_hash AND s.expires_at > coalesce(:now::timestamptz, now()) AND u.id = s.user_id
  AND u.is_active AND s.last_seen_at < now() - interval '60 seconds'
RETURNING s.id, s.user_id, s.expires_at

-- name: live_session
SELECT s.id, s.user_id, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id
WHERE s.token_hash = :token_hash AND s.expires_at > coalesce(:now::timestamptz, now()) AND u.is_active

-- name: delete_session
DELETE FROM sessions WHERE id = :id

-- name: delete_user_sessions
DELETE FROM sessions WHERE user_id = :user_id

-- name: api_key_by_hash
-- :now is the database's clock (null) unless a test moves one.
SELECT id, project_id, role, key_hash, read_secrets FROM api_keys
WHERE key_hash = :key_hash AND revoked_at IS NULL
  AND (expires_at IS NULL OR expires_at > coalesce(:now::timestamptz, now()))

-- name: touch_api_key
UPDATE api_keys SET last_used_at = now() WHERE id = :id

-- name: bootstrap_lock
-- Two servers starting at once on an empty database make one admin key, not two.
SELECT pg_advisory_xact_lock(4242)

-- name: any_api_key
SELECT 1 FROM api_keys LIMIT 1

-- name: bootstrap_project
INSERT INTO projects (id, slug, name) VALUES (:id, 'default', 'Default')
ON CONFLICT (slug) DO UPDATE SET slug = EXCLUDED.slug RETURNING id

-- name: bootstrap_api_key
INSERT INTO api_keys (id, project_id, name, prefix, key_hash, role)
VALUES (:id, :project_id, 'admin (bootstrap)', :prefix, :key_hash, 'admin')

-- name: list_api_keys
SELECT id, project_id, name, prefix, role, created_at, last_used_at, expires_at,
       revoked_at, rotated_to, created_by, read_secrets
FROM api_keys WHERE project_id = :project_id ORDER BY id DESC

-- name: revoke_api_key
UPDATE api_keys SET revoked_at = now() WHERE id = :id
RETURNING id, project_id, name, prefix, role, created_at, last_used_at, expires_at,
          revoked_at, rotated_to, created_by, read_secrets

-- name: rotate_api_key
-- The old key keeps working for the grace period, then expires (never later than it would have).
UPDATE api_keys SET rotated_to = :rotated_to,
  expires_at = least(coalesce(expires_at, 'infinity'), now() + make_interval(secs => :grace_secs))
WHERE id = :id
RETURNING id, project_id, name, prefix, role, created_at, last_used_at, expires_at,
          revoked_at, rotated_to, created_by, read_secrets

-- name: insert_api_key
INSERT INTO api_keys (id, project_id, name, prefix, key_hash, role, expires_at, created_by, read_secrets)
VALUES (:id, :project_id, :name, :prefix, :key_hash, :role, :expires_at, :created_by, :read_secrets)
RETURNING id, project_id, name, prefix, role, created_at, last_used_at, expires_at,
          revoked_at, rotated_to, created_by, read_secrets

-- name: api_key
SELECT id, project_id, name, prefix, role, created_at, last_used_at, expires_at,
       revoked_at, rotated_to, created_by, read_secrets
FROM api_keys WHERE project_id = :project_id AND id = :id

-- name: api_key_for_update
SELECT id, project_id, name, prefix, role, created_at, last_used_at, expires_at,
       revoked_at, rotated_to, created_by, read_secrets
FROM api_keys WHERE project_id = :project_id AND id = :id FOR UPDATE

-- name: project_by_id
SELECT id, slug, name, settings::text, created_at FROM projects WHERE id = :id

-- name: project_by_id_for_update
SELECT id, slug, name, settings::text, created_at FROM projects WHERE id = :id FOR UPDATE

-- name: project_by_slug
SELECT id, slug, name, settings::text, created_at FROM projects WHERE slug = :slug

-- name: project_by_slug_for_update
SELECT id, slug, name, settings::text, created_at FROM projects WHERE slug = :slug FOR UPDATE

-- name: user_projects
SELECT p.id, p.slug, p.name, m.role FROM memberships m JOIN projects p ON p.id = m.project_id
WHERE m.user_id = :user_id ORDER BY m.created_at, p.id

-- name: insert_project
INSERT INTO projects (id, slug, name) VALUES (:id, :slug, :name)
RETURNING id, slug, name, settings::text, created_at

-- name: update_project
-- A null name or settings keeps the current one.
UPDATE projects SET name = coalesce(:name, name), settings = coalesce(:settings::jsonb, settings),
       updated_at = now()
WHERE id = :id
RETURNING id, slug, name, settings::text, created_at

-- name: member_role
-- Locked, so that a role change and a check of it in the same transaction see one answer.
SELECT role FROM memberships WHERE project_id = :project_id AND user_id = :user_id FOR UPDATE

-- name: list_members
SELECT u.id, u.email, u.display_name, m.role, m.created_at
FROM memberships m JOIN users u ON u.id = m.user_id
WHERE m.project_id = :project_id ORDER BY m.created_at, u.id

-- name: upsert_member
-- Adds a membership, or raises the role of an existing one (never lowers it).
INSERT INTO memberships AS m (project_id, user_id, role) VALUES (:project_id, :user_id, :role)
ON CONFLICT (project_id, user_id) DO UPDATE SET role = EXCLUDED.role
WHERE array_position(ARRAY['viewer','operator','admin','owner'], EXCLUDED.role)
    > array_position(ARRAY['viewer','operator','admin','owner'], m.role)

-- name: set_member_role
UPDATE memberships SET role = :role WHERE project_id = :project_id AND user_id = :user_id

-- name: delete_member
DELETE FROM memberships WHERE project_id = :project_id AND user_id = :user_id

-- name: count_owners
-- Locked, so that the last owner cannot be removed by two requests at once.
SELECT count(*) FROM (SELECT 1 FROM memberships WHERE project_id = :project_id AND role = 'owner' FOR UPDATE) o

-- name: insert_invitation
INSERT INTO invitations (id, project_id, email, role, token_hash, expires_at, created_by)
VALUES (:id, :project_id, :email, :role, :token_hash, now() + make_interval(secs => :ttl_secs), :created_by)
RETURNING id, project_id, email, role, expires_at, accepted_at, revoked_at, created_at

-- name: list_invitations
SELECT id, project_id, email, role, expires_at, accepted_at, revoked_at, created_at
FROM invitations WHERE project_id = :project_id ORDER BY id DESC LIMIT 500

-- name: revoke_invitation
UPDATE invitations SET revoked_at = coalesce(revoked_at, now())
WHERE id = :id AND project_id = :project_id
RETURNING id, project_id, email, role, expires_at, accepted_at, revoked_at, created_at

-- name: accept_invitation
UPDATE invitations SET accepted_at = now() WHERE id = :id

-- name: invitation_by_token
SELECT id, project_id, email, role, expires_at, accepted_at, revoked_at, created_at
FROM invitations WHERE token_hash = :token_hash FOR UPDATE

-- name: insert_password_reset
INSERT INTO password_resets (id, user_id, token_hash, expires_at)
VALUES (:id, :user_id, :token_hash, now() + make_interval(secs => :ttl_secs))

-- name: password_reset_by_token
SELECT id, user_id, expires_at, used_at FROM password_resets WHERE token_hash = :token_hash FOR UPDATE

-- name: use_password_reset
UPDATE password_resets SET used_at = now() WHERE id = :id

-- name: login_locked_until
-- :now is the injected clock's time when a test moves it, else null: the database's now().
SELECT max(locked_until) FROM login_failures WHERE key = ANY (:keys) AND locked_until > coalesce(CAST(:now AS timestamptz), now())

-- name: count_login_failure
-- Failures count within a window of :window_secs; an older window starts over at one.
INSERT INTO login_failures AS f (key, failures, window_start) VALUES (:key, 1, coalesce(CAST(:now AS timestamptz), now()))
ON CONFLICT (key) DO UPDATE SET
  failures = CASE WHEN f.window_start < coalesce(CAST(:now AS timestamptz), now()) - make_interval(secs => :window_secs) THEN 1
                  ELSE f.failures + 1 END,
  window_start = CASE WHEN f.window_start < coalesce(CAST(:now AS timestamptz), now()) - make_interval(secs => :window_secs) THEN coalesce(CAST(:now AS timestamptz), now())
                      ELSE f.window_start END
RETURNING failures

-- name: lock_login
UPDATE login_failures SET locked_until = coalesce(CAST(:now AS timestamptz), now()) + make_interval(secs => :window_secs) WHERE key = :key

-- name: clear_login_failures
DELETE FROM login_failures WHERE key = :key

-- name: any_user
-- Whether the server has any user at all (the first-owner setup link is printed only when not).
SELECT EXISTS (SELECT 1 FROM users)

-- name: prune_setup_tokens
DELETE FROM setup_tokens WHERE expires_at <= coalesce(CAST(:now AS timestamptz), now())

-- name: insert_setup_token
INSERT INTO setup_tokens (id, token_hash, expires_at)
VALUES (:id, :token_hash, coalesce(CAST(:now AS timestamptz), now()) + interval '24 hours')
RETURNING expires_at

-- name: lock_setup_tokens
-- Serialises first-owner setups: two browsers using two links at once make one owner, not two.
LOCK TABLE setup_tokens IN SHARE ROW EXCLUSIVE MODE

-- name: live_setup_token
SELECT id FROM setup_tokens WHERE token_hash = :token_hash AND expires_at > coalesce(CAST(:now AS timestamptz), now())

-- name: delete_setup_tokens
DELETE FROM setup_tokens
