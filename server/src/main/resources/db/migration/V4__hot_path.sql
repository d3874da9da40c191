-- Less PostgreSQL work per run on the hot path (trigger insert, claim, completion). Every state
-- change of a run is a non-HOT update (status is indexed and named in the partial-index
-- predicates), so each new row version gets an entry in every index whose predicate it meets;
-- each index dropped from that set saves one insertion per state change. Measurements and EXPLAIN
-- plans: docs/benchmarks.md and the commit messages of this migration.

-- 1. No foreign key runs.job_id -> jobs. Jobs are never deleted, only soft-deleted
-- (JobStore: UPDATE jobs SET deleted_at = now(); no DELETE FROM jobs anywhere), and a run is only
-- ever made from a job row the trigger path has just read (RunStore.triggerIn gets the Job), so
-- the check could never fail. It cost an RI query per inserted row (~25% of insert_runs in an
-- auto_explain sample) and a FOR KEY SHARE lock on the job row from every trigger transaction.
-- job_versions and schedules keep their foreign keys to jobs.
ALTER TABLE runs DROP CONSTRAINT runs_job_id_fkey;

-- 2. Status listing without an index entry for the two states every run passes through.
-- runs_status_list (project_id, status, id DESC) took an entry on insert ('queued'), on claim
-- ('executing') and on completion ('completed'). Now:
--   'completed' (the common state): runs_project_list / runs_job_list walked newest first with a
--      filter; nearly every row matches, so LIMIT stops almost at once;
--   'executing': runs_leases (status IN ('executing', 'dequeued')) holds exactly the runs being
--      worked on, at most the workers' concurrency;
--   every other state (queued included, so that runs stuck in a queue below millions of completed
--      ones are still found at once): this partial index.
-- RunStore.list names the status as a literal so that every plan can match these predicates.
DROP INDEX runs_status_list;
CREATE INDEX runs_status_list ON runs (project_id, status, id DESC)
    WHERE status NOT IN ('executing', 'completed');

-- 3. A cheaper drover_uuidv7() for run events (three per run). The V1 version drew 16 bytes from
-- gen_random_uuid() (the strong random source, a system call's worth of work per id) and went
-- through bytea, set_bit and hex text. Event ids only name an event: the order is run_events.seq,
-- and nothing requires them to be unguessable (no unique index on them either; an id is returned
-- with its event and never looked up). Same format: 48 bits of Unix milliseconds, version 7,
-- 12 random bits, variant 10, 62 random bits (random(): the backend's PRNG, seeded from the
-- strong source when the backend starts). ~8-10% less backend CPU per run in the benchmark of
-- this migration's commit. Rows made in Java keep their ids from UuidV7.java.
CREATE OR REPLACE FUNCTION drover_uuidv7() RETURNS uuid
LANGUAGE sql VOLATILE PARALLEL SAFE AS $$
  SELECT (lpad(to_hex(((extract(epoch FROM clock_timestamp()) * 1000)::bigint << 16)
                      | 28672                                        -- version 7 (0x7000)
                      | ((random() * 4096)::int & 4095)), 16, '0')   -- rand_a, 12 bits
          || to_hex((((random() * 2147483648)::bigint & 2147483647) << 31)
                    | ((random() * 2147483648)::bigint & 2147483647) -- rand_b, 62 bits
                    | (-9223372036854775808)))::uuid                 -- variant 10
$$;
