package io.drover.runs;

import io.drover.store.Query;
import io.drover.store.Sql;
import io.drover.store.Statement;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * The runs' persistence and nothing else: each method binds one named statement of
 * {@code sql/runs.sql} from its parameters (a record where there are many) and maps the rows it
 * answers. No decisions, no transactions, no wake-ups: the classes of each concern
 * ({@link RunTriggers}, {@link RunClaims}, {@link RunCompletions}, {@link RunChanges},
 * {@link RunReads}) do those. The reads' statements are in {@link RunReadSql}.
 *
 * <p>Parameters are bound by name ({@link Query#set}); each statement is looked up once, into a
 * constant. A value that may be null is bound with its JDBC type ({@code Types.VARCHAR},
 * {@code Types.INTEGER}, {@code Types.TIMESTAMP}), as {@code setString}/{@code setTimestamp} did:
 * an untyped null would change the parameter types the driver sends, and with them the server-side
 * prepared statement, between a call with a value and one without.
 */
final class RunSql {
    static final Sql SQL = Sql.load("/sql/runs.sql", Map.of(
            "RUN_COLUMNS_R", Arrays.stream(Run.COLUMNS.split(", ")).map(c -> "r." + c).collect(Collectors.joining(", ")),
            "RUN_COLUMNS", Run.COLUMNS));
    /** The trigger's INSERT answering whole runs, and the one answering only what a trigger reads. */
    private static final Statement INSERT_RUNS = SQL.statement("insert_runs")
            .replace("INSERTED_COLUMNS", Run.COLUMNS);
    private static final Statement INSERT_RUN_IDS = SQL.statement("insert_runs").replace("INSERTED_COLUMNS",
            // project_id and the lineage: the created events are written from these rows
            "id, status, scheduled_at, project_id, parent_run_id, continuation_of, lineage_depth");
    private static final Statement FIND_BY_IDEMPOTENCY = SQL.statement("find_by_idempotency");
    private static final Statement NOTIFY = SQL.statement("notify");
    private static final Statement CLAIM = SQL.statement("claim");
    private static final Statement CLAIM_JOBS = SQL.statement("claim_jobs");
    private static final Statement TAKE_PUSH = SQL.statement("take_push");
    private static final Statement HEARTBEAT = SQL.statement("heartbeat");
    private static final Statement LOCK_RUN = SQL.statement("lock_run");
    private static final Statement LOCK_RUN_ANY_PROJECT = SQL.statement("lock_run_any_project");
    private static final Statement LOCK_RUN_SKIP_LOCKED = SQL.statement("lock_run_skip_locked");
    private static final Statement LOCK_RUNS_IN_ORDER = SQL.statement("lock_runs_in_order");
    private static final Statement APPLY = SQL.statement("apply");
    private static final Statement APPLY_BATCH = SQL.statement("apply_batch");
    private static final Statement COMPLETE_BATCH = SQL.statement("complete_batch");

    private RunSql() {}

    // ------------------------------------------------------------------------------ insert_runs

    /** One trigger's rows: the job's constants, then one array element per run. */
    record NewRuns(UUID projectId, UUID jobId, String jobSlug, int jobVersion, String queue, String execution,
            boolean limited, int maxAttempts, Integer timeoutSecs, UUID replayOf, UUID scheduleId, Integer ttlSecs,
            UUID workflowRunId, UUID[] ids, String[] keys, String[] payloads, String[] metadata, Integer[] priorities,
            Timestamp[] at, Long[] delays, String[] concurrencyKeys, String[] stepIds, String notifyPayload,
            UUID[] parentRunIds, UUID continuationOf, Integer lineageDepth, String[] rateKeys) {}

    /** What a trigger needs of each inserted run; {@code run} is null when only ids were asked for. */
    record Inserted(UUID id, RunStatus status, Instant scheduledAt, Run run) {}

    static Map<UUID, Inserted> insertRuns(Connection c, NewRuns n, boolean whole) throws SQLException {
        Map<UUID, Inserted> inserted = new HashMap<>();
        try (Query q = (whole ? INSERT_RUNS : INSERT_RUN_IDS).prepare(c)) {
            // The batch's constants (the input CTE's select list), then the arrays it unnests.
            q.set("project_id", n.projectId()).set("job_id", n.jobId()).set("job_slug", n.jobSlug())
                    .set("job_version", n.jobVersion()).set("queue", n.queue()).set("execution", n.execution())
                    .set("limited", n.limited()).set("max_attempts", n.maxAttempts())
                    // null: setObject(null) bound an untyped null, as Query.set does
                    .set("timeout_secs", n.timeoutSecs()).set("replay_of", n.replayOf())
                    .set("schedule_id", n.scheduleId()).set("ttl_secs", n.ttlSecs(), Types.INTEGER)
                    .set("workflow_run_id", n.workflowRunId())
                    .setArray("ids", "uuid", n.ids()).setArray("idempotency_keys", "text", n.keys())
                    .setArray("payloads", "text", n.payloads()).setArray("metadata", "text", n.metadata())
                    .setArray("priorities", "int4", n.priorities()).setArray("at", "timestamptz", n.at())
                    .setArray("delays_ms", "int8", n.delays())
                    .setArray("concurrency_keys", "text", n.concurrencyKeys())
                    .setArray("step_ids", "text", n.stepIds())
                    .setArray("parent_run_ids", "uuid", n.parentRunIds())
                    .set("continuation_of", n.continuationOf())
                    .set("lineage_depth", n.lineageDepth(), Types.INTEGER)
                    .set("notify_payload", n.notifyPayload(), Types.VARCHAR)
                    .set("rate_keys", n.rateKeys() == null ? null : c.createArrayOf("text", n.rateKeys()));
            try (ResultSet rs = q.query()) {
                while (rs.next()) {
                    Inserted row;
                    if (whole) {
                        Run run = Run.map(rs);
                        row = new Inserted(run.id(), run.status(), run.scheduledAt(), run);
                    } else {
                        row = new Inserted(rs.getObject(1, UUID.class), RunStatus.fromDb(rs.getString(2)),
                                rs.getTimestamp(3).toInstant(), null); // the columns of INSERT_RUN_IDS
                    }
                    inserted.put(row.id(), row);
                }
            }
        }
        return inserted;
    }

    static List<Run> findByIdempotency(Connection c, UUID jobId, List<String> keys) throws SQLException {
        try (Query q = FIND_BY_IDEMPOTENCY.prepare(c)) {
            q.set("job_id", jobId).setArray("keys", "text", keys.toArray());
            return all(q);
        }
    }

    /** One NOTIFY, delivered at commit. */
    static void notify(Connection c, String payload) throws SQLException {
        try (Query q = NOTIFY.prepare(c)) {
            q.set("payload", payload, Types.VARCHAR).execute();
        }
    }

    // ------------------------------------------------------------------------------ claims

    /** A claim of one worker: per queue, where its walk starts (priority, id; nulls for the start). */
    record ClaimParams(UUID projectId, String workerId, List<String> queues, List<String> jobs, Integer[] priorities,
            UUID[] floors, int max, long leaseMs, Timestamp now) {}

    /** The claim's column after the run's own: runs.claim_context (see sql/runs.sql). */
    private static final int CLAIM_CONTEXT_COLUMN = Run.NOW_INDEX;

    /** A worker's claim; with {@code jobs}, only runs of those jobs ({@code claim_jobs}, its own statement). */
    static List<Run> claim(Connection c, ClaimParams q, List<UUID> withContext) throws SQLException {
        try (Query s = (q.jobs() == null ? CLAIM : CLAIM_JOBS).prepare(c)) {
            s.setArray("queues", "text", q.queues().toArray()).setArray("priorities", "int4", q.priorities())
                    .setArray("floors", "uuid", q.floors()).set("project_id", q.projectId()).set("max", q.max())
                    .set("worker_id", q.workerId(), Types.VARCHAR).set("lease_ms", q.leaseMs())
                    .set("now", q.now(), Types.TIMESTAMP);
            if (q.jobs() != null) {
                s.setArray("jobs", "text", q.jobs().toArray());
            }
            List<Run> out = new ArrayList<>();
            try (ResultSet rs = s.query()) {
                while (rs.next()) {
                    Run run = Run.map(rs);
                    out.add(run);
                    if (rs.getBoolean(CLAIM_CONTEXT_COLUMN)) {
                        withContext.add(run.id());
                    }
                }
            }
            return out;
        }
    }

    static List<Run> takePush(Connection c, String dispatcherId, int max, long leaseMs, List<String> held,
            List<String> only, Timestamp now) throws SQLException {
        try (Query q = TAKE_PUSH.prepare(c)) {
            q.set("max", max).set("worker_id", dispatcherId, Types.VARCHAR).set("lease_ms", leaseMs)
                    .set("now", now, Types.TIMESTAMP);
            q.set("held", held == null || held.isEmpty() ? null : c.createArrayOf("text", held.toArray()));
            q.set("only", only == null ? null : c.createArrayOf("text", only.toArray()));
            return all(q);
        }
    }

    static Map<UUID, Instant> heartbeat(Connection c, UUID projectId, String workerId, List<UUID> runIds,
            long leaseMs) throws SQLException {
        try (Query q = HEARTBEAT.prepare(c)) {
            q.setArray("run_ids", "uuid", runIds.toArray()).set("project_id", projectId)
                    .set("worker_id", workerId, Types.VARCHAR).set("lease_ms", leaseMs);
            Map<UUID, Instant> out = new HashMap<>();
            try (ResultSet rs = q.query()) {
                while (rs.next()) {
                    out.put(rs.getObject(1, UUID.class), rs.getTimestamp(2).toInstant());
                }
            }
            return out;
        }
    }

    // ------------------------------------------------------------------------------ locks

    /** Locks one run (of any project when {@code projectId} is null). */
    static Optional<RunStore.Locked> lock(Connection c, UUID projectId, UUID runId) throws SQLException {
        try (Query q = (projectId == null ? LOCK_RUN_ANY_PROJECT : LOCK_RUN).prepare(c)) {
            q.set("run_id", runId);
            if (projectId != null) {
                q.set("project_id", projectId);
            }
            return lockedOne(q);
        }
    }

    /** Locks one run unless another transaction holds it. */
    static Optional<RunStore.Locked> lockSkipLocked(Connection c, UUID runId) throws SQLException {
        try (Query q = LOCK_RUN_SKIP_LOCKED.prepare(c)) {
            return lockedOne(q.set("run_id", runId));
        }
    }

    /** Locks the runs of a report in id order and reads them. */
    static Map<UUID, RunStore.Locked> lockInOrder(Connection c, UUID projectId, List<UUID> runIds) throws SQLException {
        try (Query q = LOCK_RUNS_IN_ORDER.prepare(c)) {
            q.setArray("run_ids", "uuid", runIds.toArray()).set("project_id", projectId);
            Map<UUID, RunStore.Locked> out = new HashMap<>();
            try (ResultSet rs = q.query()) {
                while (rs.next()) {
                    RunStore.Locked l = new RunStore.Locked(Run.map(rs), rs.getTimestamp(Run.NOW_INDEX).toInstant());
                    out.put(l.run().id(), l);
                }
            }
            return out;
        }
    }

    private static Optional<RunStore.Locked> lockedOne(Query q) throws SQLException {
        try (ResultSet rs = q.query()) {
            if (!rs.next()) {
                return Optional.empty();
            }
            return Optional.of(new RunStore.Locked(Run.map(rs), rs.getTimestamp(Run.NOW_INDEX).toInstant()));
        }
    }

    /**
     * Runs selected and locked by a maintenance statement ({@code expired_leases}, {@code ttl_expired}):
     * up to {@code limit} of each kind, due at {@code now} (null: the database's time, see SqlTime).
     */
    static List<RunStore.Locked> lockedBy(Connection c, Statement statement, Timestamp now, int limit)
            throws SQLException {
        List<RunStore.Locked> out = new ArrayList<>();
        try (Query q = statement.prepare(c)) {
            q.set("now", now, Types.TIMESTAMP).set("limit", limit);
            try (ResultSet rs = q.query()) {
                while (rs.next()) {
                    out.add(new RunStore.Locked(Run.map(rs), rs.getTimestamp(Run.NOW_INDEX).toInstant()));
                }
            }
        }
        return out;
    }

    // ------------------------------------------------------------------------------ writes

    /** One computed change of a run read as {@code before}. */
    record Write(Run before, Transitions.Change change) {}

    /** Writes one change and its event; empty when the run is no longer in the status it was read in. */
    static Optional<Run> write(Connection c, Write w) throws SQLException {
        Run a = w.change().after();
        try (Query q = APPLY.prepare(c)) {
            q.set("status", a.status().db()).set("attempt", a.attempt())
                    .set("worker_id", a.workerId(), Types.VARCHAR).set("result", a.result(), Types.VARCHAR)
                    .set("error", a.error(), Types.VARCHAR)
                    .set("scheduled_at", ts(a.scheduledAt()), Types.TIMESTAMP)
                    .set("next_retry_at", ts(a.nextRetryAt()), Types.TIMESTAMP)
                    .set("lease_expires_at", ts(a.leaseExpiresAt()), Types.TIMESTAMP)
                    .set("deadline_at", ts(a.deadlineAt()), Types.TIMESTAMP)
                    .set("started_at", ts(a.startedAt()), Types.TIMESTAMP)
                    .set("finished_at", ts(a.finishedAt()), Types.TIMESTAMP)
                    .set("admitted", a.admitted()).set("run_id", w.before().id())
                    .set("from_status", w.before().status().db()).set("event", w.change().event(), Types.VARCHAR)
                    .set("message", w.change().message(), Types.VARCHAR)
                    .set("data", w.change().data(), Types.VARCHAR);
            List<Run> written = all(q);
            return written.isEmpty() ? Optional.empty() : Optional.of(written.get(0));
        }
    }

    /** apply_batch's array parameters (named after the columns they fill), in the order of a row below. */
    private static final String[] WRITE_COLUMNS = {"id", "from_status", "status", "attempt", "worker_id", "result",
        "error", "scheduled_at", "next_retry_at", "lease_expires_at", "deadline_at", "started_at", "finished_at",
        "admitted", "event", "message", "data"};
    private static final String[] WRITE_TYPES = {"uuid", "text", "text", "int4", "text", "text", "text",
        "timestamptz", "timestamptz", "timestamptz", "timestamptz", "timestamptz", "timestamptz", "bool", "text",
        "text", "text"};

    /** Writes many changes and their events in one statement; answers the runs written, by id. */
    static Map<UUID, Run> writeAll(Connection c, List<Write> writes) throws SQLException {
        int n = writes.size();
        Object[][] cols = new Object[WRITE_COLUMNS.length][n];
        for (int i = 0; i < n; i++) {
            Write w = writes.get(i);
            Run a = w.change().after();
            Object[] row = {w.before().id(), w.before().status().db(), a.status().db(), a.attempt(), a.workerId(),
                a.result(), a.error(), ts(a.scheduledAt()), ts(a.nextRetryAt()), ts(a.leaseExpiresAt()),
                ts(a.deadlineAt()), ts(a.startedAt()), ts(a.finishedAt()), a.admitted(), w.change().event(),
                w.change().message(), w.change().data()};
            for (int k = 0; k < row.length; k++) {
                cols[k][i] = row[k];
            }
        }
        try (Query q = APPLY_BATCH.prepare(c)) {
            for (int k = 0; k < WRITE_COLUMNS.length; k++) {
                q.setArray(WRITE_COLUMNS[k], WRITE_TYPES[k], cols[k]);
            }
            Map<UUID, Run> out = new HashMap<>();
            for (Run r : all(q)) {
                out.put(r.id(), r);
            }
            return out;
        }
    }

    /** A worker's successes: run ids, their results (JSON text), and the attempt each names (or null). */
    record Completions(UUID projectId, String workerId, Object[] runIds, Object[] results, Object[] attempts) {}

    /** A run complete_batch completed, with what its callers need. */
    /** @param attemptMs the completed attempt's duration (from its start), or -1 when unknown */
    record Completed(UUID id, UUID jobId, boolean limited, String queue, UUID workflowRunId, String stepId,
            String result, String jobSlug, long attemptMs, UUID parentRunId, int jobVersion) {}

    static List<Completed> completeBatch(Connection c, Completions q) throws SQLException {
        try (Query s = COMPLETE_BATCH.prepare(c)) {
            s.setArray("run_ids", "uuid", q.runIds()).setArray("results", "text", q.results())
                    .setArray("attempts", "int4", q.attempts()).set("project_id", q.projectId())
                    .set("worker_id", q.workerId(), Types.VARCHAR);
            List<Completed> out = new ArrayList<>();
            try (ResultSet rs = s.query()) {
                while (rs.next()) {
                    out.add(new Completed(rs.getObject(1, UUID.class), rs.getObject(2, UUID.class), rs.getBoolean(3),
                            rs.getString(4), rs.getObject(5, UUID.class), rs.getString(6), rs.getString(7),
                            rs.getString(8), attemptMs(rs, 9), rs.getObject(10, UUID.class), rs.getInt(11)));
                }
            }
            return out;
        }
    }

    private static long attemptMs(ResultSet rs, int column) throws SQLException {
        long ms = rs.getLong(column);
        return rs.wasNull() ? -1 : ms;
    }

    static List<Run> all(Query q) throws SQLException {
        List<Run> out = new ArrayList<>();
        try (ResultSet rs = q.query()) {
            while (rs.next()) {
                out.add(Run.map(rs));
            }
        }
        return out;
    }

    static Timestamp ts(Instant i) {
        return i == null ? null : Timestamp.from(i);
    }
}
