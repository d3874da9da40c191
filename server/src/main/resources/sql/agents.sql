-- Agents beside other engines (io.drover.agents). :now is SqlTime.now(clock): null means the
-- database's clock. AGENT_COLUMNS, TASK_COLUMNS and COMMAND_COLUMNS are replaced by the column
-- lists of AgentStore, TaskStore and Commands.

-- name: insert_agent
INSERT INTO agents (id, project_id, name, labels, token_hash, token_prefix, created_at)
VALUES (:id, :project_id, :name, CAST(:labels AS jsonb), :token_hash, :token_prefix,
        coalesce(CAST(:now AS timestamptz), now()))
ON CONFLICT (project_id, name) DO NOTHING
RETURNING AGENT_COLUMNS

-- name: list_agents
-- Newest first; :cursor continues after a page; :state null lists every state (agents_by_state otherwise).
SELECT AGENT_COLUMNS FROM agents
WHERE project_id = :project_id
  AND (CAST(:state AS text) IS NULL OR state = CAST(:state AS text))
  AND (CAST(:cursor AS uuid) IS NULL OR id < CAST(:cursor AS uuid))
ORDER BY id DESC
LIMIT :limit

-- name: get_agent
SELECT AGENT_COLUMNS FROM agents WHERE project_id = :project_id AND id = :id

-- name: get_agent_by_name
SELECT AGENT_COLUMNS FROM agents WHERE project_id = :project_id AND name = :name

-- name: delete_agent
-- Its schedules and commands go with it (ON DELETE CASCADE); its tasks stay, as the project's history.
DELETE FROM agents WHERE project_id = :project_id AND id = :id RETURNING id, name

-- name: rotate_token
-- The old hash is overwritten: the old token finds no agent from this commit on, on every node.
UPDATE agents SET token_hash = :token_hash, token_prefix = :token_prefix
WHERE project_id = :project_id AND id = :id
RETURNING AGENT_COLUMNS

-- name: agent_by_token
-- Found by the hash through the unique index agents_token; the caller compares it in constant time.
SELECT id, project_id, token_hash FROM agents WHERE token_hash = :token_hash

-- name: lock_agent
SELECT state, name FROM agents WHERE id = :id FOR UPDATE

-- name: hello
UPDATE agents SET protocol_version = :protocol_version, framework = :framework,
       engines = CAST(:engines AS jsonb), schedulers = CAST(:schedulers AS jsonb),
       capabilities = CAST(:capabilities AS jsonb), metadata = CAST(:metadata AS jsonb),
       state = :state,
       state_changed_at = CASE WHEN state = :state THEN state_changed_at
                               ELSE coalesce(CAST(:now AS timestamptz), now()) END,
       last_connect_at = coalesce(CAST(:now AS timestamptz), now()),
       last_seen_at = coalesce(CAST(:now AS timestamptz), now()),
       offline_at = coalesce(CAST(:now AS timestamptz), now()) + make_interval(secs => :offline_after_ms / 1000.0)
WHERE id = :id

-- name: heartbeat
UPDATE agents SET error_rate = :error_rate, sample_error = :sample_error, active_tasks = :active_tasks,
       current_task = :current_task, uptime_secs = :uptime_secs,
       state = :state,
       state_changed_at = CASE WHEN state = :state THEN state_changed_at
                               ELSE coalesce(CAST(:now AS timestamptz), now()) END,
       last_seen_at = coalesce(CAST(:now AS timestamptz), now()),
       offline_at = coalesce(CAST(:now AS timestamptz), now()) + make_interval(secs => :offline_after_ms / 1000.0)
WHERE id = :id
RETURNING last_seen_at

-- name: try_singleton_lock
SELECT pg_try_advisory_xact_lock(:key)

-- name: mark_offline
-- The liveness pass: agents whose offline_at passed (a range of the partial index agents_offline_due)
-- go offline, each with an agent.offline event at the time it happened (its offline_at), in this
-- statement. SKIP LOCKED leaves an agent whose heartbeat is committing right now to that heartbeat.
WITH due AS (
    SELECT id, state FROM agents
    WHERE offline_at <= coalesce(CAST(:now AS timestamptz), now()) AND state IN ('online', 'degraded')
    ORDER BY offline_at
    LIMIT :batch
    FOR UPDATE SKIP LOCKED
), changed AS (
    UPDATE agents a SET state = 'offline', state_changed_at = a.offline_at
    FROM due WHERE a.id = due.id
    RETURNING a.id, a.project_id, a.name, due.state AS from_state, a.offline_at, a.last_seen_at
), events AS (
    INSERT INTO log_events (project_id, type, run_id, data, occurred_at)
    SELECT project_id, 'agent.offline', NULL,
           jsonb_build_object('agent_id', id, 'name', name, 'from', from_state, 'to', 'offline',
                              'last_seen_at', last_seen_at),
           offline_at
    FROM changed
    RETURNING 1
)
SELECT count(*) FROM changed

-- name: expire_commands
-- Commands not finished within their TTL: pending (never fetched or never acked) or acked (no result).
WITH due AS (
    SELECT id FROM agent_commands
    WHERE expires_at <= coalesce(CAST(:now AS timestamptz), now()) AND status IN ('pending', 'acked')
    ORDER BY expires_at
    LIMIT :batch
    FOR UPDATE SKIP LOCKED
)
UPDATE agent_commands c SET status = 'expired', finished_at = c.expires_at
FROM due WHERE c.id = due.id

-- name: ingest_events
-- One events frame in one statement. fresh: the events whose (agent_id, seq) was not accepted
-- before (the primary key makes a resent event a no-op). folded: one row per task of the fresh
-- events, the newest (highest seq) deciding its state and fields. upserted: the tasks, where an
-- older seq never overrides a newer one, so events may arrive in any order.
WITH input AS (
    SELECT * FROM unnest(CAST(:seqs AS bigint[]), CAST(:types AS text[]), CAST(:ts AS timestamptz[]),
                         CAST(:external_ids AS text[]), CAST(:engines AS text[]), CAST(:names AS text[]),
                         CAST(:queues AS text[]), CAST(:args AS text[]), CAST(:kwargs AS text[]),
                         CAST(:group_ids AS text[]), CAST(:errors AS text[]), CAST(:retried_as AS text[]),
                         CAST(:new_ids AS uuid[]))
         AS i (seq, type, ts, external_id, engine, name, queue, args, kwargs, group_id, error, retried_as, new_id)
), fresh AS (
    INSERT INTO agent_task_events (agent_id, seq, project_id, engine, external_id, type, ts, data, received_at)
    SELECT :agent_id, i.seq, :project_id, i.engine, i.external_id, i.type, i.ts,
           jsonb_strip_nulls(jsonb_build_object('name', i.name, 'queue', i.queue, 'args', CAST(i.args AS jsonb),
               'kwargs', CAST(i.kwargs AS jsonb), 'group_id', i.group_id, 'error', CAST(i.error AS jsonb),
               'retried_as', i.retried_as)),
           coalesce(CAST(:now AS timestamptz), now())
    FROM input i
    ON CONFLICT (agent_id, seq) DO NOTHING
    RETURNING seq
), folded AS (
    SELECT i.engine, i.external_id, max(i.seq) AS last_seq,
           (array_agg(i.type ORDER BY i.seq DESC))[1] AS type,
           (array_agg(i.name ORDER BY i.seq DESC) FILTER (WHERE i.name IS NOT NULL))[1] AS name,
           (array_agg(i.queue ORDER BY i.seq DESC) FILTER (WHERE i.queue IS NOT NULL))[1] AS queue,
           (array_agg(i.args ORDER BY i.seq DESC) FILTER (WHERE i.args IS NOT NULL))[1] AS args,
           (array_agg(i.kwargs ORDER BY i.seq DESC) FILTER (WHERE i.kwargs IS NOT NULL))[1] AS kwargs,
           (array_agg(i.group_id ORDER BY i.seq DESC) FILTER (WHERE i.group_id IS NOT NULL))[1] AS group_id,
           (array_agg(i.error ORDER BY i.seq DESC) FILTER (WHERE i.error IS NOT NULL))[1] AS error,
           (array_agg(i.retried_as ORDER BY i.seq DESC) FILTER (WHERE i.retried_as IS NOT NULL))[1] AS retried_as,
           min(i.ts) FILTER (WHERE i.type = 'task_sent') AS enqueued_at,
           max(i.ts) FILTER (WHERE i.type = 'task_started') AS started_at,
           max(i.ts) FILTER (WHERE i.type NOT IN ('task_sent', 'task_started')) AS finished_at,
           (array_agg(i.new_id ORDER BY i.seq))[1] AS new_id
    FROM input i JOIN fresh f ON f.seq = i.seq
    GROUP BY i.engine, i.external_id
), upserted AS (
    INSERT INTO agent_tasks AS t (id, project_id, agent_id, external_id, engine, name, queue, state, args, kwargs,
                                  error, retried_as, group_id, enqueued_at, started_at, finished_at, last_seq,
                                  updated_at)
    SELECT f.new_id, :project_id, :agent_id, f.external_id, f.engine, f.name, f.queue,
           CASE f.type WHEN 'task_sent' THEN 'pending' WHEN 'task_started' THEN 'started'
                       WHEN 'task_succeeded' THEN 'succeeded' WHEN 'task_failed' THEN 'failed'
                       WHEN 'task_retry' THEN 'retried' WHEN 'task_cancelled' THEN 'cancelled'
                       ELSE 'lost' END,
           CAST(f.args AS jsonb), CAST(f.kwargs AS jsonb), CAST(f.error AS jsonb), f.retried_as, f.group_id,
           f.enqueued_at, f.started_at,
           CASE WHEN f.type NOT IN ('task_sent', 'task_started') THEN f.finished_at END,
           f.last_seq, coalesce(CAST(:now AS timestamptz), now())
    FROM folded f
    ON CONFLICT (agent_id, engine, external_id) DO UPDATE SET
        state = CASE WHEN EXCLUDED.last_seq > t.last_seq THEN EXCLUDED.state ELSE t.state END,
        name = CASE WHEN EXCLUDED.last_seq > t.last_seq THEN coalesce(EXCLUDED.name, t.name)
                    ELSE coalesce(t.name, EXCLUDED.name) END,
        queue = CASE WHEN EXCLUDED.last_seq > t.last_seq THEN coalesce(EXCLUDED.queue, t.queue)
                     ELSE coalesce(t.queue, EXCLUDED.queue) END,
        args = CASE WHEN EXCLUDED.last_seq > t.last_seq THEN coalesce(EXCLUDED.args, t.args)
                    ELSE coalesce(t.args, EXCLUDED.args) END,
        kwargs = CASE WHEN EXCLUDED.last_seq > t.last_seq THEN coalesce(EXCLUDED.kwargs, t.kwargs)
                      ELSE coalesce(t.kwargs, EXCLUDED.kwargs) END,
        error = CASE WHEN EXCLUDED.last_seq > t.last_seq THEN coalesce(EXCLUDED.error, t.error)
                     ELSE coalesce(t.error, EXCLUDED.error) END,
        retried_as = CASE WHEN EXCLUDED.last_seq > t.last_seq THEN coalesce(EXCLUDED.retried_as, t.retried_as)
                          ELSE coalesce(t.retried_as, EXCLUDED.retried_as) END,
        group_id = coalesce(t.group_id, EXCLUDED.group_id),
        enqueued_at = least(t.enqueued_at, EXCLUDED.enqueued_at),
        started_at = greatest(t.started_at, EXCLUDED.started_at),
        -- finished while the newest state is a final one (a task started again is not finished)
        finished_at = CASE WHEN (CASE WHEN EXCLUDED.last_seq > t.last_seq THEN EXCLUDED.state ELSE t.state END)
                                IN ('pending', 'started') THEN NULL
                           ELSE greatest(t.finished_at, EXCLUDED.finished_at) END,
        last_seq = greatest(t.last_seq, EXCLUDED.last_seq),
        updated_at = EXCLUDED.updated_at
    RETURNING 1
)
SELECT (SELECT count(*) FROM fresh), (SELECT count(*) FROM upserted)

-- name: list_tasks
-- GET /v1/tasks, newest first. TaskStore picks the statement whose leading condition is the most
-- selective filter given (agent, then name, then state, then engine), so that each walks its own
-- index (agent_tasks_agent, _name, _state, _engine or _project) backwards from the cursor: a range
-- scan under any plan. The other filters are checked on the rows it reads.
SELECT TASK_COLUMNS FROM agent_tasks
WHERE project_id = :project_id
  AND (CAST(:engine AS text) IS NULL OR engine = CAST(:engine AS text))
  AND (CAST(:state AS text) IS NULL OR state = CAST(:state AS text))
  AND (CAST(:name AS text) IS NULL OR name = CAST(:name AS text))
  AND (CAST(:agent_id AS uuid) IS NULL OR agent_id = CAST(:agent_id AS uuid))
  AND (CAST(:cursor AS uuid) IS NULL OR id < CAST(:cursor AS uuid))
ORDER BY id DESC
LIMIT :limit

-- name: list_tasks_by_agent
SELECT TASK_COLUMNS FROM agent_tasks
WHERE agent_id = :by AND project_id = :project_id
  AND (CAST(:engine AS text) IS NULL OR engine = CAST(:engine AS text))
  AND (CAST(:state AS text) IS NULL OR state = CAST(:state AS text))
  AND (CAST(:name AS text) IS NULL OR name = CAST(:name AS text))
  AND (CAST(:agent_id AS uuid) IS NULL OR agent_id = CAST(:agent_id AS uuid))
  AND (CAST(:cursor AS uuid) IS NULL OR id < CAST(:cursor AS uuid))
ORDER BY id DESC
LIMIT :limit

-- name: list_tasks_by_name
SELECT TASK_COLUMNS FROM agent_tasks
WHERE project_id = :project_id AND name = :by
  AND (CAST(:engine AS text) IS NULL OR engine = CAST(:engine AS text))
  AND (CAST(:state AS text) IS NULL OR state = CAST(:state AS text))
  AND (CAST(:name AS text) IS NULL OR name = CAST(:name AS text))
  AND (CAST(:agent_id AS uuid) IS NULL OR agent_id = CAST(:agent_id AS uuid))
  AND (CAST(:cursor AS uuid) IS NULL OR id < CAST(:cursor AS uuid))
ORDER BY id DESC
LIMIT :limit

-- name: list_tasks_by_state
SELECT TASK_COLUMNS FROM agent_tasks
WHERE project_id = :project_id AND state = :by
  AND (CAST(:engine AS text) IS NULL OR engine = CAST(:engine AS text))
  AND (CAST(:state AS text) IS NULL OR state = CAST(:state AS text))
  AND (CAST(:name AS text) IS NULL OR name = CAST(:name AS text))
  AND (CAST(:agent_id AS uuid) IS NULL OR agent_id = CAST(:agent_id AS uuid))
  AND (CAST(:cursor AS uuid) IS NULL OR id < CAST(:cursor AS uuid))
ORDER BY id DESC
LIMIT :limit

-- name: list_tasks_by_engine
SELECT TASK_COLUMNS FROM agent_tasks
WHERE project_id = :project_id AND engine = :by
  AND (CAST(:engine AS text) IS NULL OR engine = CAST(:engine AS text))
  AND (CAST(:state AS text) IS NULL OR state = CAST(:state AS text))
  AND (CAST(:name AS text) IS NULL OR name = CAST(:name AS text))
  AND (CAST(:agent_id AS uuid) IS NULL OR agent_id = CAST(:agent_id AS uuid))
  AND (CAST(:cursor AS uuid) IS NULL OR id < CAST(:cursor AS uuid))
ORDER BY id DESC
LIMIT :limit

-- name: get_task
SELECT TASK_COLUMNS FROM agent_tasks WHERE project_id = :project_id AND id = :id

-- name: task_events
-- A task's events in seq order (agent_task_events_task), at most :limit.
SELECT seq, type, ts, data, received_at FROM agent_task_events
WHERE agent_id = :agent_id AND external_id = :external_id AND engine = :engine
ORDER BY seq
LIMIT :limit

-- name: delete_schedules
DELETE FROM agent_schedules WHERE agent_id = :agent_id

-- name: insert_schedules
INSERT INTO agent_schedules (agent_id, name, project_id, scheduler, task, type, expression, enabled, next_run_at,
                             last_run_at, updated_at)
SELECT :agent_id, s.name, :project_id, s.scheduler, s.task, s.type, s.expression, s.enabled, s.next_run_at,
       s.last_run_at, coalesce(CAST(:now AS timestamptz), now())
FROM unnest(CAST(:names AS text[]), CAST(:schedulers AS text[]), CAST(:tasks AS text[]), CAST(:types AS text[]),
            CAST(:expressions AS text[]), CAST(:enableds AS boolean[]), CAST(:next_runs AS timestamptz[]),
            CAST(:last_runs AS timestamptz[]))
     AS s (name, scheduler, task, type, expression, enabled, next_run_at, last_run_at)

-- name: list_schedules
SELECT name, scheduler, task, type, expression, enabled, next_run_at, last_run_at, updated_at
FROM agent_schedules WHERE agent_id = :agent_id AND project_id = :project_id
ORDER BY name

-- name: get_schedule
SELECT name FROM agent_schedules WHERE agent_id = :agent_id AND project_id = :project_id AND name = :name

-- name: insert_command
-- NOTIFY: the long-polls of this agent wake on every node (the channel's payload is the agent id).
WITH made AS (
    INSERT INTO agent_commands (id, project_id, agent_id, type, target, task_id, args, created_at, expires_at)
    VALUES (:id, :project_id, :agent_id, :type, :target, :task_id, CAST(:args AS jsonb),
            coalesce(CAST(:now AS timestamptz), now()),
            coalesce(CAST(:now AS timestamptz), now()) + make_interval(secs => :ttl_ms / 1000.0))
    RETURNING COMMAND_COLUMNS
), notified AS (
    SELECT pg_notify('drover_agent_commands', CAST(:agent_id AS text))
)
SELECT made.* FROM made, notified

-- name: get_command
SELECT COMMAND_COLUMNS FROM agent_commands WHERE project_id = :project_id AND id = :id

-- name: pending_commands
-- What the agent has to do, oldest first (agent_commands_pending).
SELECT COMMAND_COLUMNS FROM agent_commands
WHERE agent_id = :agent_id AND status = 'pending'
ORDER BY id
LIMIT :limit

-- name: lock_command
SELECT COMMAND_COLUMNS FROM agent_commands WHERE agent_id = :agent_id AND id = :id FOR UPDATE

-- name: ack_command
UPDATE agent_commands SET status = 'acked', acked_at = coalesce(CAST(:now AS timestamptz), now())
WHERE id = :id AND status = 'pending'
RETURNING COMMAND_COLUMNS

-- name: finish_command
UPDATE agent_commands SET status = :status, message = :message,
       acked_at = coalesce(acked_at, coalesce(CAST(:now AS timestamptz), now())),
       finished_at = coalesce(CAST(:now AS timestamptz), now())
WHERE id = :id AND status IN ('pending', 'acked')
RETURNING COMMAND_COLUMNS

-- name: delete_tasks
-- Retention: finished tasks older than the window, with their events.
WITH doomed AS (
    SELECT id, agent_id, engine, external_id FROM agent_tasks
    WHERE project_id = :project_id AND finished_at < :cutoff
    ORDER BY finished_at
    LIMIT :batch
    FOR UPDATE SKIP LOCKED
), events AS (
    DELETE FROM agent_task_events e USING doomed d
    WHERE e.agent_id = d.agent_id AND e.external_id = d.external_id AND e.engine = d.engine
    RETURNING 1
), gone AS (
    DELETE FROM agent_tasks t USING doomed d WHERE t.id = d.id RETURNING 1
)
SELECT (SELECT count(*) FROM gone), (SELECT count(*) FROM events)

-- name: delete_task_events
-- Retention: events older than the window whatever their task (a task that never finishes keeps its row).
WITH doomed AS (
    SELECT agent_id, seq FROM agent_task_events
    WHERE project_id = :project_id AND received_at < :cutoff
    ORDER BY received_at
    LIMIT :batch
    FOR UPDATE SKIP LOCKED
)
DELETE FROM agent_task_events e USING doomed d WHERE e.agent_id = d.agent_id AND e.seq = d.seq

-- name: delete_commands
-- Retention: finished commands older than the window.
WITH doomed AS (
    SELECT id FROM agent_commands
    WHERE project_id = :project_id AND finished_at < :cutoff
    ORDER BY finished_at
    LIMIT :batch
    FOR UPDATE SKIP LOCKED
)
DELETE FROM agent_commands c USING doomed d WHERE c.id = d.id
