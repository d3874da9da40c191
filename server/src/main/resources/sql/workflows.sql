-- Workflow runs, step runs and the decision log. WF_COLUMNS and STEP_COLUMNS are replaced by
-- WorkflowRun.COLUMNS and StepRun.COLUMNS when the file is loaded. Every statement here runs in
-- a transaction that holds the workflow run's row lock (lock_run), so steps of one run never race.
-- Statements that change a status take it as :status and end with `status = ANY(:sources::text[])`:
-- the states that may move to it, from StepStatus / WorkflowRunStatus (see StatusWrites, which binds
-- :status, :sources and the row: :workflow_run_id and :step_id for a step, :id for a run). Reads keep
-- their status literals, which the partial indexes of V3 match.

-- name: insert_run
-- A repeated idempotency key for the same workflow makes no row; the caller then reads the first run.
INSERT INTO workflow_runs (id, project_id, workflow_id, workflow_slug, version, status, input, idempotency_key,
                           parent_run_id, parent_step_id, depth, steps_left, started_at)
VALUES (:id, :project_id, :workflow_id, :workflow_slug, :version, :status, :input::jsonb, :idempotency_key,
        :parent_run_id, :parent_step_id, :depth, :steps_left, now())
ON CONFLICT (workflow_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
RETURNING WF_COLUMNS

-- name: find_run_by_key
SELECT WF_COLUMNS FROM workflow_runs WHERE workflow_id = :workflow_id AND idempotency_key = :idempotency_key

-- name: lock_run
SELECT WF_COLUMNS FROM workflow_runs WHERE id = :id FOR UPDATE

-- name: get_run
SELECT WF_COLUMNS FROM workflow_runs WHERE id = :id AND project_id = :project_id

-- name: list_runs
SELECT WF_COLUMNS FROM workflow_runs
WHERE project_id = :project_id
  AND (:workflow_id::uuid IS NULL OR workflow_id = :workflow_id)
  AND (:status::text IS NULL OR status = :status
       OR (:status::text = 'waiting' AND status = 'running' AND NOT compensating
           AND EXISTS (SELECT 1 FROM workflow_step_runs s WHERE s.workflow_run_id = workflow_runs.id AND s.status = 'waiting')
           AND NOT EXISTS (SELECT 1 FROM workflow_step_runs s WHERE s.workflow_run_id = workflow_runs.id
                           AND s.status = 'running')))
  AND (:cursor::uuid IS NULL OR id < :cursor)
ORDER BY id DESC
LIMIT :limit

-- name: insert_steps
-- All step runs of a new workflow run in one statement; deps_total is each step's fan-in counter.
INSERT INTO workflow_step_runs (workflow_run_id, project_id, step_id, type, status, deps_total)
SELECT :workflow_run_id, :project_id, t.step_id, t.type, :status, t.deps_total
FROM unnest(:step_ids::text[], :types::text[], :deps_totals::int[]) AS t(step_id, type, deps_total)

-- name: get_step
SELECT STEP_COLUMNS FROM workflow_step_runs WHERE workflow_run_id = :workflow_run_id AND step_id = :step_id

-- name: steps_of_run
SELECT STEP_COLUMNS FROM workflow_step_runs WHERE workflow_run_id = :workflow_run_id

-- name: step_states
-- What templates and conditions of one step read: only the steps they name.
SELECT step_id, status, output::text FROM workflow_step_runs
WHERE workflow_run_id = :workflow_run_id AND step_id = ANY(:step_ids::text[])

-- name: step_start
UPDATE workflow_step_runs
SET status = :status, attempt = :attempt, run_id = :run_id, child_run_id = :child_run_id,
    concurrency_key = :concurrency_key, blocked = false, due_at = :due_at, started_at = coalesce(started_at, now())
WHERE workflow_run_id = :workflow_run_id AND step_id = :step_id AND status = ANY(:sources::text[])

-- name: step_block
UPDATE workflow_step_runs SET blocked = true, concurrency_key = :concurrency_key
WHERE workflow_run_id = :workflow_run_id AND step_id = :step_id

-- name: step_settle
UPDATE workflow_step_runs
SET status = :status, output = :output::jsonb, error = :error::jsonb, skip_reason = :skip_reason, due_at = NULL,
    blocked = false, finished_at = now(), started_at = coalesce(started_at, now()),
    settled_seq = nextval('workflow_step_settled_seq')
WHERE workflow_run_id = :workflow_run_id AND step_id = :step_id AND status = ANY(:sources::text[])

-- name: step_compensated
UPDATE workflow_step_runs SET compensated = true WHERE workflow_run_id = :workflow_run_id AND step_id = :step_id

-- name: advance_dependents
-- Fan-in by counters: each settled step bumps its dependents once; the ones whose counter reaches
-- deps_total are ready. Row locks serialize concurrent bumps, so exactly one transaction sees the last.
UPDATE workflow_step_runs
SET deps_done = deps_done + 1, deps_blocked = deps_blocked + :blocked
WHERE workflow_run_id = :workflow_run_id AND step_id = ANY(:step_ids::text[]) AND status = 'pending'
RETURNING step_id, deps_done, deps_total, deps_blocked

-- name: steps_left
UPDATE workflow_runs SET steps_left = steps_left - :settled WHERE id = :id RETURNING steps_left

-- name: finish_run
UPDATE workflow_runs
SET status = :status, output = :output::jsonb, error = :error::jsonb, compensating = false,
    compensation_queue = '{}', finished_at = now()
WHERE id = :id AND status = ANY(:sources::text[])

-- name: start_compensation
UPDATE workflow_runs SET compensating = true, compensation_queue = :queue::text[], error = :error::jsonb
WHERE id = :id

-- name: pop_compensation
UPDATE workflow_runs SET compensation_queue = compensation_queue[2:] WHERE id = :id

-- name: compensable_steps
-- Completed steps with a compensation, most recently settled first: compensation runs in reverse order.
SELECT step_id FROM workflow_step_runs
WHERE workflow_run_id = :workflow_run_id AND status = 'completed' AND step_id = ANY(:step_ids::text[])
ORDER BY settled_seq DESC

-- name: cancel_active_steps
-- Failing or canceling a run: every step not yet settled is canceled at once.
UPDATE workflow_step_runs s
SET status = :status, finished_at = now(), due_at = NULL, blocked = false
FROM (SELECT step_id, status AS old_status FROM workflow_step_runs
      WHERE workflow_run_id = :workflow_run_id AND status = ANY(:sources::text[]) FOR UPDATE) old
WHERE s.workflow_run_id = :workflow_run_id AND s.step_id = old.step_id
RETURNING s.step_id, s.type, s.run_id, s.child_run_id, old.old_status

-- name: reopen_run
UPDATE workflow_runs
SET status = :status, output = NULL, error = NULL, finished_at = NULL, compensating = false,
    compensation_queue = '{}'
WHERE id = :id AND status = ANY(:sources::text[])

-- name: reset_step
-- An operator's retry: a settled step starts over.
UPDATE workflow_step_runs
SET status = :status, deps_done = :deps_done, deps_blocked = :deps_blocked, skip_reason = NULL, run_id = NULL,
    child_run_id = NULL, blocked = false, due_at = NULL, output = NULL, error = NULL, settled_seq = NULL, attempt = 0,
    started_at = NULL, finished_at = NULL
WHERE workflow_run_id = :workflow_run_id AND step_id = :step_id AND status = ANY(:sources::text[])

-- name: reset_pending_step
-- The same for a step still pending (not a transition): the same reset, its status left as it is.
UPDATE workflow_step_runs
SET deps_done = :deps_done, deps_blocked = :deps_blocked, skip_reason = NULL, run_id = NULL, child_run_id = NULL,
    blocked = false, due_at = NULL, output = NULL, error = NULL, settled_seq = NULL, attempt = 0,
    started_at = NULL, finished_at = NULL
WHERE workflow_run_id = :workflow_run_id AND step_id = :step_id AND status = 'pending'

-- name: decide
INSERT INTO workflow_step_decisions (project_id, workflow_run_id, step_id, decision, message, details)
VALUES (:project_id, :workflow_run_id, :step_id, :decision, :message, :details::jsonb)

-- name: decisions
SELECT step_id, decision, message, details::text, created_at FROM workflow_step_decisions
WHERE workflow_run_id = :workflow_run_id ORDER BY seq

-- name: due_steps
-- The timer service: sleeps that end, approvals that expire, event waits and steps that time out.
SELECT workflow_run_id, step_id FROM workflow_step_runs
WHERE status IN ('running', 'waiting') AND due_at IS NOT NULL AND due_at <= coalesce(CAST(:now AS timestamptz), now())
ORDER BY due_at
LIMIT :limit

-- name: next_due
SELECT min(due_at) FROM workflow_step_runs WHERE status IN ('running', 'waiting') AND due_at IS NOT NULL

-- name: blocked_keys
SELECT DISTINCT project_id, concurrency_key FROM workflow_step_runs
WHERE concurrency_key IS NOT NULL AND blocked AND status = 'pending'
LIMIT :limit

-- name: key_held
SELECT EXISTS (SELECT 1 FROM workflow_step_runs
               WHERE project_id = :project_id AND concurrency_key = :concurrency_key
                 AND status IN ('running', 'waiting'))

-- name: first_blocked
SELECT workflow_run_id, step_id FROM workflow_step_runs
WHERE project_id = :project_id AND concurrency_key = :concurrency_key AND blocked AND status = 'pending'
ORDER BY workflow_run_id, step_id
LIMIT 1

-- name: lock_key
-- Serializes starts on one concurrency key, so two steps never both see it free.
SELECT pg_advisory_xact_lock(hashtextextended(:project || '/' || :concurrency_key, 7))

-- name: try_lock_key
-- The timer's unblocking of a key: a key another transaction is starting on is left for the next tick.
SELECT pg_try_advisory_xact_lock(hashtextextended(:project || '/' || :concurrency_key, 7))

-- name: try_lock_run
SELECT id FROM workflow_runs WHERE id = :id FOR UPDATE SKIP LOCKED

-- name: children
SELECT id FROM workflow_runs WHERE parent_run_id = :parent_run_id AND status = 'running'

-- Definitions. A workflow is read as w.id, w.project_id, v.version, v.spec::text, v.created_at,
-- w.updated_at (WorkflowStore.all reads by position).

-- name: insert_workflow
INSERT INTO workflows (id, project_id, slug, version) VALUES (:id, :project_id, :slug, 1)

-- name: bump_workflow_version
UPDATE workflows SET version = version + 1, updated_at = now()
WHERE id = :id AND deleted_at IS NULL RETURNING version

-- name: delete_workflow
UPDATE workflows SET deleted_at = now() WHERE id = :id

-- name: insert_workflow_version
INSERT INTO workflow_versions (workflow_id, version, project_id, spec)
VALUES (:workflow_id, :version, :project_id, :spec::jsonb)

-- name: workflow_by_id
SELECT w.id, w.project_id, v.version, v.spec::text, v.created_at, w.updated_at
FROM workflows w JOIN workflow_versions v ON v.workflow_id = w.id AND v.version = w.version
WHERE w.project_id = :project_id AND w.deleted_at IS NULL AND w.id = :id

-- name: workflow_by_slug
SELECT w.id, w.project_id, v.version, v.spec::text, v.created_at, w.updated_at
FROM workflows w JOIN workflow_versions v ON v.workflow_id = w.id AND v.version = w.version
WHERE w.project_id = :project_id AND w.deleted_at IS NULL AND w.slug = :slug

-- name: list_workflows
-- Newest first; :cursor is the last id of the previous page, or null for the first page.
SELECT w.id, w.project_id, v.version, v.spec::text, v.created_at, w.updated_at
FROM workflows w JOIN workflow_versions v ON v.workflow_id = w.id AND v.version = w.version
WHERE w.project_id = :project_id AND w.deleted_at IS NULL AND (:cursor::uuid IS NULL OR w.id < :cursor)
ORDER BY w.id DESC LIMIT :limit

-- name: workflow_versions
SELECT w.id, w.project_id, v.version, v.spec::text, v.created_at, w.updated_at
FROM workflows w JOIN workflow_versions v ON v.workflow_id = w.id
WHERE w.id = :id ORDER BY v.version DESC

-- name: workflow_version_spec
SELECT spec::text FROM workflow_versions WHERE workflow_id = :workflow_id AND version = :version

-- name: get_steps
-- The step runs of one completion batch, read together.
SELECT STEP_COLUMNS FROM workflow_step_runs WHERE workflow_run_id = :run_id AND step_id = ANY(:step_ids::text[])

-- name: steps_settle_completed
-- A completion batch: the steps of one workflow run whose job runs completed, settled with one
-- statement (what step_settle does for one). settled_seq is drawn in the batch's order (the
-- subquery is sorted before nextval runs), since compensation runs in reverse of it.
UPDATE workflow_step_runs s
SET status = :status, output = t.output::jsonb, error = NULL, skip_reason = NULL, due_at = NULL, blocked = false,
    finished_at = now(), started_at = coalesce(s.started_at, now()), settled_seq = t.seq
FROM (SELECT u.step_id, u.output, nextval('workflow_step_settled_seq') AS seq
      FROM unnest(:step_ids::text[], :outputs::text[]) WITH ORDINALITY AS u(step_id, output, ord)
      ORDER BY u.ord OFFSET 0) t
WHERE s.workflow_run_id = :run_id AND s.step_id = t.step_id AND s.status = ANY(:sources::text[])
RETURNING s.step_id

-- name: advance_dependents_by
-- Fan-in for a completion batch: each dependent's counter goes up by the number of the batch's
-- settled steps it depends on, one statement for all of them (advance_dependents does one step's).
UPDATE workflow_step_runs s
SET deps_done = s.deps_done + t.n
FROM unnest(:step_ids::text[], :counts::int[]) AS t(step_id, n)
WHERE s.workflow_run_id = :run_id AND s.step_id = t.step_id AND s.status = 'pending'
RETURNING s.step_id, s.deps_done, s.deps_total, s.deps_blocked

-- name: steps_start_jobs
-- The job steps started in one pass, one statement for all of them (what step_start does for one).
UPDATE workflow_step_runs s
SET status = :status, attempt = t.attempt, run_id = t.run_id, child_run_id = NULL, concurrency_key = t.key,
    blocked = false, due_at = t.due_at, started_at = coalesce(s.started_at, now())
FROM unnest(:step_ids::text[], :attempts::int[], :run_ids::uuid[], :keys::text[], :due_ats::timestamptz[])
     AS t(step_id, attempt, run_id, key, due_at)
WHERE s.workflow_run_id = :run_id AND s.step_id = t.step_id AND s.status = ANY(:sources::text[])
RETURNING s.step_id

-- name: decide_many
-- The decisions of one pass with one statement, in their order (seq follows it).
INSERT INTO workflow_step_decisions (project_id, workflow_run_id, step_id, decision, message, details)
SELECT CAST(:project_id AS uuid), CAST(:run_id AS uuid), d.step_id, d.decision, d.message, d.details::jsonb
FROM unnest(:step_ids::text[], :decisions::text[], :messages::text[], :details::text[]) WITH ORDINALITY
     AS d(step_id, decision, message, details, ord)
ORDER BY d.ord
