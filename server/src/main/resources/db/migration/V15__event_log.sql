-- The event log (issue 17, API.md "Events"): what the live stream, webhooks and log drains read.
--
-- The trap: ids assigned inside transactions (run_events.seq, events.seq) do not commit in their
-- order, so a reader that tails by seq misses a row that commits after a later seq was read. The
-- log is ordered by commit instead, with fences (io.drover.eventlog.FenceWriter): one node writes a
-- fence row now and then with pg_snapshot_xmin(pg_current_snapshot()), the oldest transaction id
-- still running. Every transaction with a lower id has finished when the fence is written, so the
-- bucket of fence f, the rows whose transaction id is in [xmin(f-1), xmin(f)), is complete and
-- never changes once fence f exists. Events are read bucket by bucket, in (fence, source, seq)
-- order, which is what their ids encode (EventId).
--
-- The transaction id is stored as bigint, not xid8: PostgreSQL (15 to 17) has no BRIN operator
-- class for xid8, and a BRIN index is what makes a bucket cheap to find. An xid8 is epoch << 32 |
-- xid and fits a bigint for 2^31 epochs. The cast goes through text (there is no direct one).

-- 1. run_events: ~3 rows per run on the hot path. No second write and no btree index: the column
--    is filled by its default (the transaction's own id, for free) and found through a BRIN index,
--    which costs next to nothing on an append-only table whose xid grows with insert order. ADD
--    COLUMN without a default rewrites nothing; SET DEFAULT applies to new rows only. Rows written
--    before this migration keep xid NULL and belong to fence 0.
ALTER TABLE run_events ADD COLUMN xid bigint;
ALTER TABLE run_events ALTER COLUMN xid SET DEFAULT (pg_current_xact_id()::text::bigint);
-- 32 pages (~2,500 events) per range: a bucket read (25-50 ms of events) scans little beyond itself.
CREATE INDEX run_events_xid ON run_events USING brin (xid) WITH (pages_per_range = 32, autosummarize = on);

-- 2. log_events: the low-volume kinds (workflow_run.*, workflow_step.*, approval.*, later agent.*, budget.*,
--    slo.*, webhook.dead), written in the transaction of the change (EventWrites). ("events" is V3's
--    table of events sent by key.)
CREATE TABLE log_events (
    seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id   uuid NOT NULL,
    type         text NOT NULL,
    run_id       uuid,                  -- the run (or workflow run) the event belongs to
    data         jsonb NOT NULL,
    occurred_at  timestamptz NOT NULL DEFAULT now(),
    xid          bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint)
);
CREATE INDEX log_events_xid ON log_events USING brin (xid) WITH (autosummarize = on);
-- The retention pass deletes a project's oldest events.
CREATE INDEX log_events_retention ON log_events (project_id, occurred_at);

-- 3. The fences (global: one sequence of fences for every project; docs/scale-out.md).
CREATE TABLE event_fences (
    fence          bigint PRIMARY KEY,
    snapshot_xmin  bigint NOT NULL,
    made_at        timestamptz NOT NULL DEFAULT now()
);
