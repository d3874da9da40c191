-- What a run's worker records besides its outcome (RunRecords): checkpoints, tool calls, and the
-- context a claim carries (the latest checkpoint, the outcome of an event wait). Plain runs never
-- come here: the claim reads claim_context only for runs whose runs.claim_context is set.

-- name: insert_checkpoint
-- By the holder only: the run is found by id and must be executing (or paused by its worker)
-- under this worker. The row lock orders concurrent checkpoints of one run (seq is max + 1); the
-- first checkpoint sets runs.claim_context, once, so that later claims look for it. Older
-- checkpoints beyond the latest :keep go in the same statement.
WITH held AS MATERIALIZED (
    SELECT id, project_id, attempt, claim_context FROM runs
    WHERE id = :run_id AND project_id = :project_id AND worker_id = :worker_id
      AND status::text IN ('executing', 'waiting')
    FOR NO KEY UPDATE
), flagged AS (
    UPDATE runs r SET claim_context = true FROM held WHERE r.id = held.id AND held.claim_context IS NULL
), next AS (
    SELECT held.id, held.project_id, held.attempt,
           coalesce((SELECT max(k.seq) FROM run_checkpoints k WHERE k.run_id = held.id), 0) + 1 AS seq
    FROM held
), inserted AS (
    INSERT INTO run_checkpoints (project_id, run_id, seq, attempt, state)
    SELECT project_id, id, seq, attempt, :state::jsonb FROM next
    RETURNING seq, attempt, created_at
), pruned AS (
    DELETE FROM run_checkpoints k USING next WHERE k.run_id = next.id AND k.seq <= next.seq - :keep
)
SELECT seq, attempt, created_at FROM inserted

-- name: insert_tool_call
-- By the holder only, as insert_checkpoint; no row lock: a call recorded while the run was held
-- is kept even if the run completes in the same instant.
INSERT INTO run_tool_calls (id, project_id, run_id, attempt, name, input, output, error, duration_ms)
SELECT :id, project_id, id, attempt, :name, :input::jsonb, :output::jsonb, :error::jsonb, :duration_ms
FROM runs
WHERE id = :run_id AND project_id = :project_id AND worker_id = :worker_id
  AND status::text IN ('executing', 'waiting')
RETURNING id, run_id, attempt, name, input::text, output::text, error::text, duration_ms, created_at

-- name: list_tool_calls
-- Oldest first, after the cursor (the last id of the previous page).
SELECT id, run_id, attempt, name, input::text, output::text, error::text, duration_ms, created_at
FROM run_tool_calls
WHERE run_id = :run_id AND project_id = :project_id AND (CAST(:after AS uuid) IS NULL OR id > CAST(:after AS uuid))
ORDER BY id
LIMIT :limit

-- name: claim_context
-- For claimed runs whose claim_context is set: the latest checkpoint, and the latest settled event
-- wait (resolved by a send, or timed out). One probe of each primary key or index per run.
SELECT r.id, k.seq, k.attempt, k.state::text, k.created_at, w.event_key, w.status, w.payload::text
FROM unnest(:run_ids::uuid[]) AS r(id)
LEFT JOIN LATERAL (
    SELECT seq, attempt, state, created_at FROM run_checkpoints WHERE run_id = r.id ORDER BY seq DESC LIMIT 1
) k ON true
LEFT JOIN LATERAL (
    SELECT event_key, status, coalesce(payload::text, 'null') AS payload FROM event_triggers
    WHERE run_id = r.id AND status IN ('resolved', 'timed_out') ORDER BY id DESC LIMIT 1
) w ON true

-- name: event_key_lock
-- Serialises a run's wait for a key with a send of that key (EventService takes the same lock),
-- so that an event is either seen by the wait or resolves the waiter it inserted.
SELECT pg_advisory_xact_lock(hashtextextended(:project_id || '/' || :event_key, 18))

-- name: sent_event
SELECT coalesce(payload::text, 'null') FROM events WHERE project_id = :project_id AND event_key = :event_key

-- name: timed_out_wait
-- This run already waited for this key and the wait ran out: a handler that asks again (it runs
-- from the top on each claim) learns that at once.
SELECT 1 FROM event_triggers WHERE run_id = :run_id AND event_key = :event_key AND status = 'timed_out' LIMIT 1

-- name: insert_run_wait
INSERT INTO event_triggers (id, project_id, event_key, status, run_id, expires_at)
VALUES (:id, :project_id, :event_key, 'waiting', :run_id, :expires_at)

-- name: flag_claim_context
UPDATE runs SET claim_context = true WHERE id = :run_id AND claim_context IS NULL

-- name: end_run_waits
-- The reaper found the run's wait ran out: its waiter rows end. Answers the keys that were waited
-- for. A row a send holds is skipped, not waited for (the send locks it, then the run, which the
-- reaper holds): that send resolves the wait and queues the run after the reaper's commit.
UPDATE event_triggers SET status = :status, resolved_at = now()
WHERE id IN (SELECT id FROM event_triggers WHERE run_id = :run_id AND status = 'waiting' FOR UPDATE SKIP LOCKED)
RETURNING event_key

-- name: open_run_wait
SELECT 1 FROM event_triggers WHERE run_id = :run_id AND status = 'waiting' LIMIT 1
