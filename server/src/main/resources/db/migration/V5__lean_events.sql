-- Cheaper run events. Every run writes at least three (created, claimed, completed), each in the
-- statement that changes the run; measured in psql on 1,000-row inserts, an event row cost ~12 us,
-- of which ~4 us was the primary-key index on seq and ~2.5 us the drover_uuidv7() call for its id
-- (docs/benchmarks.md, "Third round").

-- 1. No index on seq alone. seq is an identity column (GENERATED ALWAYS, so no insert can choose
-- it) and is unique by construction; nothing looks an event up by seq alone. Every read is a run's
-- events in order, served by run_events_run (run_id, seq), which stays.
ALTER TABLE run_events DROP CONSTRAINT run_events_pkey;

-- 2. Event ids are no longer generated per row. New rows leave id NULL and the API derives the id
-- when it reads the event (RunEvent.derivedId): a UUIDv7 whose 48-bit timestamp is the event's
-- created_at in Unix milliseconds, whose 12 rand_a bits carry the sub-millisecond part of
-- created_at (RFC 9562 section 6.2, method 3) and whose 62 rand_b bits are seq (method 1, a
-- dedicated counter). seq is unique, so the ids are unique, and they sort by time like any UUIDv7.
-- Rows written before this migration keep the ids they were given.
ALTER TABLE run_events ALTER COLUMN id DROP DEFAULT, ALTER COLUMN id DROP NOT NULL;
