-- Child runs and continuations (issue 18, items 1, 2 and 4).
--
-- Four nullable columns on runs, without defaults: adding them rewrites nothing, and the hot path's
-- statements neither read nor write them except insert_runs (NULL for a plain trigger) and the
-- claim's RETURNING of every run column.
--   parent_run_id    the run that triggered this one (trigger body parent_run_id, SDK ctx.trigger)
--   continuation_of  the run this one continues (POST /v1/runs/{id}/continue)
--   lineage_depth    how many continuations lead to this run (NULL: 0, a run that continues none)
--   waits_for        'children' while a parent waits for its children without a worker, then
--                    'children_settled' once they all settled: its claims then carry the children
ALTER TABLE runs ADD COLUMN parent_run_id uuid, ADD COLUMN continuation_of uuid, ADD COLUMN lineage_depth int,
    ADD COLUMN waits_for text;

-- The children of a run are found through run_list (written once per run, never updated), not
-- through an index on runs: an index on runs would take an entry at every non-HOT update of a child,
-- and the claim does not need it. GET /v1/runs?parent= walks it newest first, as the other lists do,
-- and a settling child asks it whether its parent has an unsettled child left.
ALTER TABLE run_list ADD COLUMN parent_run_id uuid;
CREATE INDEX run_list_parent ON run_list (parent_run_id, id DESC) WHERE parent_run_id IS NOT NULL;

CREATE OR REPLACE FUNCTION run_list_add() RETURNS trigger
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
BEGIN
    INSERT INTO run_list (id, project_id, job_id, parent_run_id)
    SELECT id, project_id, job_id, parent_run_id FROM new_runs;
    RETURN NULL;
END
$$;
