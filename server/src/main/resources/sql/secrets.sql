-- Project secrets per environment, sealed in the application (value is AES-256-GCM ciphertext).

-- name: put_secret
-- Creates or replaces; (xmax = 0) is true for a row this statement inserted, false for an update.
INSERT INTO secrets AS s (id, project_id, environment, name, key_id, value)
VALUES (:id, :project_id, :environment, :name, :key_id, :value)
ON CONFLICT (project_id, environment, name)
DO UPDATE SET value = EXCLUDED.value, key_id = EXCLUDED.key_id, updated_at = now()
RETURNING id, name, environment, key_id, created_at, updated_at, (xmax = 0)

-- name: list_secrets
-- Metadata only, never values; a null :environment lists every environment.
SELECT id, name, environment, key_id, created_at, updated_at
FROM secrets WHERE project_id = :project_id AND (:environment::text IS NULL OR environment = :environment)
ORDER BY environment, name

-- name: delete_secret
DELETE FROM secrets WHERE project_id = :project_id AND environment = :environment AND name = :name RETURNING id

-- name: sealed_secrets
-- Every sealed value of a project's environment: for templating outgoing push headers only.
SELECT name, value FROM secrets WHERE project_id = :project_id AND environment = :environment
