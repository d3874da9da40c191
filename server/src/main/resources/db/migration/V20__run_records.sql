-- Issue 18 items 3, 4 and 6: checkpoints and tool-call records of runs, and event waits of plain
-- (non-workflow) runs.

-- True once the claim of this run has something to carry besides the run itself: a checkpoint
-- (run_checkpoints) or the outcome of an event wait (event_triggers.run_id). Null for every other
-- run: no default, so adding it rewrites nothing, and the claim reads run_checkpoints and
-- event_triggers only for the runs whose flag is set (RunClaims), never for plain runs.
ALTER TABLE runs ADD COLUMN claim_context boolean;

-- The state a run's worker saved, newest last; only the latest few per run are kept (the insert
-- deletes older ones). A later attempt's claim (or push request) carries the latest.
CREATE TABLE run_checkpoints (
    project_id  uuid NOT NULL,
    run_id      uuid NOT NULL,
    seq         int NOT NULL,
    attempt     int NOT NULL,
    state       jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, seq)
);

-- The tool calls a run's worker recorded, in order (id is a UUIDv7). Listed per run by id.
CREATE TABLE run_tool_calls (
    id           uuid PRIMARY KEY,
    project_id   uuid NOT NULL,
    run_id       uuid NOT NULL,
    attempt      int NOT NULL,
    name         text NOT NULL,
    input        jsonb,
    output       jsonb,
    error        jsonb,
    duration_ms  bigint,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX run_tool_calls_run ON run_tool_calls (run_id, id);

-- A plain run waiting for an event is a waiter like a workflow step: the same table, the same
-- send (POST /v1/events/{key}/send), with the run instead of the workflow step.
ALTER TABLE event_triggers ADD COLUMN run_id uuid;
CREATE INDEX event_triggers_run ON event_triggers (run_id, id) WHERE run_id IS NOT NULL;
