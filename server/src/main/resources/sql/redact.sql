-- Redaction rules live in each project's settings.

-- name: project_settings
SELECT settings::text FROM projects WHERE id = :project_id
