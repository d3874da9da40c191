-- Inbound event sources, their subscriptions and ingested events (io.drover.ingest).

-- name: insert_source
INSERT INTO event_sources (id, project_id, slug, verify, secret, key_id)
VALUES (:id, :project_id, :slug, :verify, :secret, :key_id)
ON CONFLICT (project_id, slug) DO NOTHING
RETURNING id, slug, verify, created_at

-- name: list_sources
SELECT id, slug, verify, created_at FROM event_sources
WHERE project_id = :project_id
ORDER BY id

-- name: get_source
SELECT id, slug, verify, created_at FROM event_sources
WHERE project_id = :project_id AND (id = CAST(:id AS uuid) OR slug = :slug)

-- name: delete_source
DELETE FROM event_sources WHERE project_id = :project_id AND id = :id
RETURNING slug

-- name: source_for_ingest
-- By id alone: the sender knows no project. The sealed secret is opened in the application.
SELECT project_id, verify, secret FROM event_sources WHERE id = :id

-- name: insert_subscription
INSERT INTO event_subscriptions (id, project_id, source_id, job_id, workflow_id, filter, payload)
VALUES (:id, :project_id, :source_id, :job_id, :workflow_id, CAST(:filter AS jsonb), CAST(:payload AS jsonb))
RETURNING created_at

-- name: list_subscriptions
SELECT s.id, s.source_id, s.job_id, j.slug, s.workflow_id, w.slug, s.filter, s.payload, s.created_at
FROM event_subscriptions s
LEFT JOIN jobs j ON j.id = s.job_id
LEFT JOIN workflows w ON w.id = s.workflow_id
WHERE s.project_id = :project_id AND s.source_id = :source_id
ORDER BY s.id

-- name: delete_subscription
DELETE FROM event_subscriptions WHERE project_id = :project_id AND source_id = :source_id AND id = :id
RETURNING id

-- name: insert_event
-- The de-duplication: a delivery id already taken for this source inserts nothing and answers no row.
INSERT INTO ingested_events (id, project_id, source_id, delivery_id, body, received_at)
VALUES (:id, :project_id, :source_id, :delivery_id, CAST(:body AS jsonb), coalesce(CAST(:now AS timestamptz), now()))
ON CONFLICT (project_id, source_id, delivery_id) DO NOTHING
RETURNING id

-- name: first_event
SELECT id, triggered FROM ingested_events
WHERE project_id = :project_id AND source_id = :source_id AND delivery_id = :delivery_id

-- name: set_triggered
UPDATE ingested_events SET triggered = CAST(:triggered AS jsonb) WHERE id = :id

-- name: list_events
SELECT id, delivery_id, body, triggered, received_at FROM ingested_events
WHERE project_id = :project_id AND source_id = :source_id
  AND (CAST(:cursor AS uuid) IS NULL OR id < CAST(:cursor AS uuid))
ORDER BY id DESC
LIMIT :limit

-- name: delete_ingested_events
-- Retention: ingested events older than the project's window, a batch at a time.
DELETE FROM ingested_events
WHERE id IN (SELECT id FROM ingested_events
             WHERE project_id = :project_id AND received_at < :cutoff
             ORDER BY received_at
             LIMIT :batch
             FOR UPDATE SKIP LOCKED)
