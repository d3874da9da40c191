-- The newest-first run lists move out of the runs table into run_list, a table written once per run
-- (this migration), filled with the runs made before it (V7), and the two list indexes of runs go (V7).
--
-- runs_project_list (project_id, id DESC) and runs_job_list (job_id, id DESC) keyed columns that never
-- change, yet took a new entry at every state change: claim and completion are non-HOT updates (the
-- status is named in the partial indexes' predicates), and a non-HOT update inserts the new row
-- version into every index whose predicate it meets. That was 6 of the ~15 index insertions of a run
-- that is triggered, claimed and completed. run_list takes 2, once, when the run is made, and
-- nothing ever updates it. Measured in psql, 100,000 trigger/claim/complete cycles with the
-- statements of sql/runs.sql, one backend, synchronous_commit off, autovacuum off, four alternating
-- runs each: median 7.8 s of backend CPU against 9.5 s with the two indexes on runs
-- (docs/benchmarks.md, "Fifth round").
--
-- Listing (RunStore.list) walks run_list newest first and fetches each run by primary key; the states
-- that are rare or short-lived still come from runs_status_list and runs_leases as before (V4).
-- run_list has no primary key of its own: an id comes from runs, whose primary key makes it unique,
-- and nothing looks a row up by id alone (both indexes lead with project or job).
CREATE TABLE run_list (
    id          uuid NOT NULL,   -- runs.id
    project_id  uuid NOT NULL,
    job_id      uuid NOT NULL
);
CREATE INDEX run_list_project ON run_list (project_id, id DESC);
CREATE INDEX run_list_job ON run_list (job_id, id DESC);

-- Written by a statement trigger rather than by the trigger statement (insert_runs) itself, so that
-- every INSERT INTO runs lists its runs: those of a node still on the previous version during an
-- upgrade too. One INSERT per statement from its transition table; in the psql measurement above it
-- cost the same as a data-modifying CTE in insert_runs (6.9-7.3 s of backend CPU for both).
-- This migration is its own transaction and does no more than this, so its lock on runs (CREATE
-- TRIGGER waits for inserts in progress and holds new ones until the commit) lasts a moment. From the
-- commit on, every new run is listed; V7 copies the ones made before.
-- The function keeps the search_path it was created with: a restore (pg_restore runs with an empty
-- search_path) fires it too, and must find run_list where the migration put it. A data-only restore
-- of runs and run_list together wants --disable-triggers, or each run is listed twice.
CREATE FUNCTION run_list_add() RETURNS trigger
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
BEGIN
    INSERT INTO run_list (id, project_id, job_id) SELECT id, project_id, job_id FROM new_runs;
    RETURN NULL;
END
$$;
CREATE TRIGGER runs_listed AFTER INSERT ON runs REFERENCING NEW TABLE AS new_runs
    FOR EACH STATEMENT EXECUTE FUNCTION run_list_add();
