-- Jobs and their immutable versions. A job is read as
-- id, project_id, version, spec::text, created_at, updated_at (JobStore.map reads by position).

-- name: insert_job
INSERT INTO jobs (id, project_id, slug, version, spec, queue, execution, signing_secret)
VALUES (:id, :project_id, :slug, 1, :spec::jsonb, :queue, :execution, :signing_secret)
RETURNING id, project_id, version, spec::text, created_at, updated_at

-- name: update_job
UPDATE jobs SET version = version + 1, spec = :spec::jsonb, queue = :queue, updated_at = now()
WHERE id = :id
RETURNING id, project_id, version, spec::text, created_at, updated_at

-- name: delete_job
-- Soft delete: the slug is free again; runs already made keep their job and finish normally.
UPDATE jobs SET deleted_at = now() WHERE id = :id

-- name: job_by_id
SELECT id, project_id, version, spec::text, created_at, updated_at FROM jobs
WHERE project_id = :project_id AND id = :id AND deleted_at IS NULL

-- name: job_by_id_for_update
SELECT id, project_id, version, spec::text, created_at, updated_at FROM jobs
WHERE project_id = :project_id AND id = :id AND deleted_at IS NULL FOR UPDATE

-- name: job_by_slug
SELECT id, project_id, version, spec::text, created_at, updated_at FROM jobs
WHERE project_id = :project_id AND slug = :slug AND deleted_at IS NULL

-- name: job_by_slug_for_update
SELECT id, project_id, version, spec::text, created_at, updated_at FROM jobs
WHERE project_id = :project_id AND slug = :slug AND deleted_at IS NULL FOR UPDATE

-- name: list_jobs
-- Newest first; :cursor is the last id of the previous page, or null for the first page.
SELECT id, project_id, version, spec::text, created_at, updated_at
FROM jobs WHERE project_id = :project_id AND deleted_at IS NULL AND (:cursor::uuid IS NULL OR id < :cursor)
ORDER BY id DESC LIMIT :limit

-- name: job_versions
-- Older versions, newest first, read like a job (a version's time is both created and updated).
SELECT v.job_id, v.project_id, v.version, v.spec::text, v.created_at, v.created_at
FROM job_versions v WHERE v.job_id = :job_id AND v.version < :before_version ORDER BY v.version DESC LIMIT :max

-- name: job_version_spec
SELECT spec::text FROM job_versions WHERE job_id = :job_id AND version = :version

-- name: job_signing_secret
SELECT signing_secret FROM jobs WHERE id = :id

-- name: insert_job_version
INSERT INTO job_versions (job_id, version, project_id, spec) VALUES (:job_id, :version, :project_id, :spec::jsonb)

-- name: unknown_rate_limit_keys
-- The keys a job names that its project has no rate limit for (refused at create and update).
SELECT k FROM unnest(:keys::text[]) AS k
WHERE NOT EXISTS (SELECT 1 FROM rate_limits l WHERE l.project_id = :project_id AND l.key = k)
ORDER BY k
