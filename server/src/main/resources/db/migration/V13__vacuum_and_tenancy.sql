-- Autovacuum and fillfactor for the tables that churn, and project_id on schedule_ticks, the last
-- per-project table without it (docs/scale-out.md). Reasoning per table: docs/scale-out.md,
-- "Autovacuum and fillfactor".
--
-- ALTER TABLE ... SET (storage parameters) takes a SHARE UPDATE EXCLUSIVE lock: reads and writes go
-- on; it waits only for a VACUUM or another schema change of the same table. Nothing is rewritten:
-- a new fillfactor applies to pages filled from now on, existing pages keep what they hold (a
-- VACUUM FULL or pg_repack would repack them; not worth a table lock here).
--
-- What makes an update HOT: the new row version fits on the same page AND no column that an index
-- keys or names in its predicate changes. Claim, completion, heartbeat and promotion of a run all
-- change such columns (status is in every partial index's predicate; lease_expires_at, deadline_at,
-- expires_at are keys), so no hot-path update of runs is HOT, whatever the fillfactor. The free room
-- still counts: a non-HOT update also puts the new version on the same page when it fits, so the
-- update dirties (and logs) one heap page instead of two, and page pruning reclaims the dead
-- versions' space in place. Measured (FillfactorBench: 3,010 runs triggered, claimed and completed,
-- 6,020 updates, none HOT): at fillfactor 80 (V1's) 61% of the updates of runs went to another
-- page, at 60 20%, at 50 5%, and the table ended smaller at 50 (172 pages against 199): versions
-- that stay on their page are pruned in place, versions that move leave holes behind. So runs
-- goes to 50.

-- runs: only updates make dead tuples (nothing deletes runs yet), about two per run (the trigger's
-- version dies at the claim, the claim's at the completion) plus one per heartbeat. The default
-- scale factor (0.2) lets a 10M-row table gather 2M dead versions before a vacuum, and the partial
-- indexes the claim and the reaper walk (runs_claim, runs_leases) keep the entries of dead versions
-- until then. 1% plus 10,000 keeps that to ~110k on 10M rows. Analyze as often: the claim's plans
-- depend on the statistics of status (a stale estimate once sent the claim through runs_status_list).
ALTER TABLE runs SET (
    fillfactor = 50,
    autovacuum_vacuum_scale_factor = 0.01,
    autovacuum_vacuum_threshold = 10000,
    autovacuum_vacuum_insert_scale_factor = 0.05,
    autovacuum_analyze_scale_factor = 0.02
);

-- Append-only tables (never updated, not deleted yet): only the insert-triggered vacuum visits
-- them. It sets the visibility map's all-visible and all-frozen bits, so index-only scans stay
-- index-only (run_list's (project_id, id DESC) walk needs nothing from the heap once a page is
-- all-visible) and the anti-wraparound vacuum does not have to read the whole table at once.
-- fillfactor stays 100: a page that is never updated needs no room.
ALTER TABLE run_events SET (autovacuum_vacuum_insert_scale_factor = 0.02);
ALTER TABLE run_list SET (autovacuum_vacuum_insert_scale_factor = 0.02);
ALTER TABLE audit_log SET (autovacuum_vacuum_insert_scale_factor = 0.05);
ALTER TABLE workflow_step_decisions SET (autovacuum_vacuum_insert_scale_factor = 0.05);

-- Workflow runs and step runs are updated many times each. steps_left (workflow_runs) and
-- deps_done/deps_blocked (the fan-in counters of workflow_step_runs) are in no index, so those
-- updates are HOT when the page has room. Status changes of step runs are not HOT (status is in
-- the predicates of workflow_step_runs_due and _key). Measured (FillfactorBench, 4,020 updates of
-- 1,010 step runs): HOT 26% at fillfactor 100, 33% at 80, 50% at 50; updates to another page
-- 68% / 50% / 26%; 13% more pages at 50 than at 80. workflow_runs (HOT 99% already at 100: few
-- rows, one per workflow run) gets 80, room for rows that grow (output, error).
ALTER TABLE workflow_runs SET (
    fillfactor = 80,
    autovacuum_vacuum_scale_factor = 0.05,
    autovacuum_analyze_scale_factor = 0.05
);
ALTER TABLE workflow_step_runs SET (
    fillfactor = 50,
    autovacuum_vacuum_scale_factor = 0.05,
    autovacuum_analyze_scale_factor = 0.05
);

-- One row per project, updated by every audited action (last_seq, last_hmac, signature): only the
-- primary key indexes it, so every update can be HOT if the page has room. A tiny table: half-empty
-- pages cost nothing.
ALTER TABLE audit_heads SET (fillfactor = 50);

-- A session slides at most once a minute (expires_at is indexed: not HOT); room on the page keeps
-- the new version there. Small table; vacuum it sooner than at 20% dead.
ALTER TABLE sessions SET (fillfactor = 90, autovacuum_vacuum_scale_factor = 0.05);

-- A tick is inserted, then updated once in the same transaction (run_id, outcome: in no index),
-- which is HOT only if its page still has room: at fillfactor 100 the insert may have filled it.
ALTER TABLE schedule_ticks SET (fillfactor = 90, autovacuum_vacuum_insert_scale_factor = 0.05);

-- schedule_ticks gets the project of its schedule, so that every per-project table carries
-- project_id (a sharded database needs it as the distribution column). Nullable: a node still on
-- the previous version inserts ticks without it during a rolling upgrade; ScheduleTicker writes it
-- from this version on, and the rows before are filled here. ADD COLUMN without a default rewrites
-- nothing; the backfill touches one narrow row per fired tick.
ALTER TABLE schedule_ticks ADD COLUMN project_id uuid;
UPDATE schedule_ticks t SET project_id = s.project_id FROM schedules s WHERE s.id = t.schedule_id;
