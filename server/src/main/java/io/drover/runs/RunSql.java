package io.drover.runs;

import io.drover.store.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
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
 */
final class RunSql {
    static final Sql SQL = Sql.load("/sql/runs.sql", Map.of(
            "RUN_COLUMNS_R", Arrays.stream(Run.COLUMNS.split(", ")).map(c -> "r." + c).collect(Collectors.joining(", ")),
            "RUN_COLUMNS", Run.COLUMNS));
    /** The trigger's INSERT answering whole runs, and the one answering only what a trigger reads. */
    private static final String INSERT_RUNS = SQL.get("insert_runs").replace("INSERTED_COLUMNS", Run.COLUMNS);
    private static final String INSERT_RUN_IDS = SQL.get("insert_runs").replace("INSERTED_COLUMNS",
            "id, status, scheduled_at, project_id"); // project_id: the created events are written from these rows

    private RunSql() {}

    // ------------------------------------------------------------------------------ insert_runs

    /** One trigger's rows: the job's constants, then one array element per run. */
    record NewRuns(UUID projectId, UUID jobId, String jobSlug, int jobVersion, String queue, String execution,
            boolean limited, int maxAttempts, Integer timeoutSecs, UUID replayOf, UUID scheduleId, Integer ttlSecs,
            UUID workflowRunId, UUID[] ids, String[] keys, String[] payloads, String[] metadata, Integer[] priorities,
            Timestamp[] at, Long[] delays, String[] concurrencyKeys, String[] stepIds, String notifyPayload) {}

    /** What a trigger needs of each inserted run; {@code run} is null when only ids were asked for. */
    record Inserted(UUID id, RunStatus status, Instant scheduledAt, Run run) {}

    static Map<UUID, Inserted> insertRuns(Connection c, NewRuns n, boolean whole) throws SQLException {
        Map<UUID, Inserted> inserted = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement(whole ? INSERT_RUNS : INSERT_RUN_IDS)) {
            int p = 1;
            // The batch's constants first (the input CTE's select list), then the arrays it unnests.
            ps.setObject(p++, n.projectId());
            ps.setObject(p++, n.jobId());
            ps.setString(p++, n.jobSlug());
            ps.setInt(p++, n.jobVersion());
            ps.setString(p++, n.queue());
            ps.setString(p++, n.execution());
            ps.setBoolean(p++, n.limited());
            ps.setBoolean(p++, n.limited());
            ps.setInt(p++, n.maxAttempts());
            ps.setObject(p++, n.timeoutSecs());
            ps.setObject(p++, n.replayOf());
            ps.setObject(p++, n.scheduleId());
            ps.setObject(p++, n.ttlSecs(), java.sql.Types.INTEGER);
            ps.setObject(p++, n.workflowRunId());
            ps.setArray(p++, c.createArrayOf("uuid", n.ids()));
            ps.setArray(p++, c.createArrayOf("text", n.keys()));
            ps.setArray(p++, c.createArrayOf("text", n.payloads()));
            ps.setArray(p++, c.createArrayOf("text", n.metadata()));
            ps.setArray(p++, c.createArrayOf("int4", n.priorities()));
            ps.setArray(p++, c.createArrayOf("timestamptz", n.at()));
            ps.setArray(p++, c.createArrayOf("int8", n.delays()));
            ps.setArray(p++, c.createArrayOf("text", n.concurrencyKeys()));
            ps.setArray(p++, c.createArrayOf("text", n.stepIds()));
            ps.setString(p++, n.notifyPayload());
            try (ResultSet rs = ps.executeQuery()) {
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
        try (PreparedStatement ps = c.prepareStatement(SQL.get("find_by_idempotency"))) {
            ps.setObject(1, jobId);
            ps.setArray(2, c.createArrayOf("text", keys.toArray()));
            return all(ps);
        }
    }

    /** One NOTIFY, delivered at commit. */
    static void notify(Connection c, String payload) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(SQL.get("notify"))) {
            ps.setString(1, payload);
            ps.execute();
        }
    }

    // ------------------------------------------------------------------------------ claims

    /** A claim of one worker: per queue, where its walk starts (priority, id; nulls for the start). */
    record ClaimParams(UUID projectId, String workerId, List<String> queues, List<String> jobs, Integer[] priorities,
            UUID[] floors, int max, long leaseMs) {}

    /** A worker's claim; with {@code jobs}, only runs of those jobs ({@code claim_jobs}, its own statement). */
    static List<Run> claim(Connection c, ClaimParams q) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(SQL.get(q.jobs() == null ? "claim" : "claim_jobs"))) {
            int p = 1;
            ps.setArray(p++, c.createArrayOf("text", q.queues().toArray()));
            ps.setArray(p++, c.createArrayOf("int4", q.priorities()));
            ps.setArray(p++, c.createArrayOf("uuid", q.floors()));
            java.sql.Array jobs = q.jobs() == null ? null : c.createArrayOf("text", q.jobs().toArray());
            for (int branch = 0; branch < 3; branch++) {
                ps.setObject(p++, q.projectId());
                if (jobs != null) {
                    ps.setArray(p++, jobs);
                }
                ps.setInt(p++, q.max());
            }
            ps.setInt(p++, q.max());
            ps.setInt(p++, q.max());
            ps.setString(p++, q.workerId());
            ps.setLong(p++, q.leaseMs());
            return all(ps);
        }
    }

    static List<Run> takePush(Connection c, String dispatcherId, int max, long leaseMs) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(SQL.get("take_push"))) {
            ps.setInt(1, max);
            ps.setString(2, dispatcherId);
            ps.setLong(3, leaseMs);
            return all(ps);
        }
    }

    static Map<UUID, Instant> heartbeat(Connection c, UUID projectId, String workerId, List<UUID> runIds,
            long leaseMs) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(SQL.get("heartbeat"))) {
            ps.setArray(1, c.createArrayOf("uuid", runIds.toArray()));
            ps.setObject(2, projectId);
            ps.setString(3, workerId);
            ps.setLong(4, leaseMs);
            Map<UUID, Instant> out = new HashMap<>();
            try (ResultSet rs = ps.executeQuery()) {
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
        try (PreparedStatement ps = c.prepareStatement(SQL.get(projectId == null ? "lock_run_any_project" : "lock_run"))) {
            ps.setObject(1, runId);
            if (projectId != null) {
                ps.setObject(2, projectId);
            }
            return lockedOne(ps);
        }
    }

    /** Locks one run unless another transaction holds it. */
    static Optional<RunStore.Locked> lockSkipLocked(Connection c, UUID runId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(SQL.get("lock_run_skip_locked"))) {
            ps.setObject(1, runId);
            return lockedOne(ps);
        }
    }

    /** Locks the runs of a report in id order and reads them. */
    static Map<UUID, RunStore.Locked> lockInOrder(Connection c, UUID projectId, List<UUID> runIds) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(SQL.get("lock_runs_in_order"))) {
            ps.setArray(1, c.createArrayOf("uuid", runIds.toArray()));
            ps.setObject(2, projectId);
            Map<UUID, RunStore.Locked> out = new HashMap<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    RunStore.Locked l = new RunStore.Locked(Run.map(rs), rs.getTimestamp(Run.NOW_INDEX).toInstant());
                    out.put(l.run().id(), l);
                }
            }
            return out;
        }
    }

    private static Optional<RunStore.Locked> lockedOne(PreparedStatement ps) throws SQLException {
        try (ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
                return Optional.empty();
            }
            return Optional.of(new RunStore.Locked(Run.map(rs), rs.getTimestamp(Run.NOW_INDEX).toInstant()));
        }
    }

    /** Runs selected and locked by a maintenance statement ({@code expired_leases}, {@code ttl_expired}). */
    static List<RunStore.Locked> lockedBy(Connection c, String statement, Object... params) throws SQLException {
        List<RunStore.Locked> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(SQL.get(statement))) {
            for (int i = 0; i < params.length; i++) {
                if (params[i] == null) {
                    ps.setNull(i + 1, java.sql.Types.TIMESTAMP); // a time left to the database (SqlTime)
                } else {
                    ps.setObject(i + 1, params[i]);
                }
            }
            try (ResultSet rs = ps.executeQuery()) {
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
        try (PreparedStatement ps = c.prepareStatement(SQL.get("apply"))) {
            int p = 1;
            ps.setString(p++, a.status().db());
            ps.setInt(p++, a.attempt());
            ps.setString(p++, a.workerId());
            ps.setString(p++, a.result());
            ps.setString(p++, a.error());
            ps.setTimestamp(p++, ts(a.scheduledAt()));
            ps.setTimestamp(p++, ts(a.nextRetryAt()));
            ps.setTimestamp(p++, ts(a.leaseExpiresAt()));
            ps.setTimestamp(p++, ts(a.deadlineAt()));
            ps.setTimestamp(p++, ts(a.startedAt()));
            ps.setTimestamp(p++, ts(a.finishedAt()));
            ps.setBoolean(p++, a.admitted());
            ps.setObject(p++, w.before().id());
            ps.setString(p++, w.before().status().db());
            ps.setString(p++, w.change().event());
            ps.setString(p++, w.before().status().db());
            ps.setString(p++, w.change().message());
            ps.setString(p++, w.change().data());
            List<Run> written = all(ps);
            return written.isEmpty() ? Optional.empty() : Optional.of(written.get(0));
        }
    }

    /** Writes many changes and their events in one statement; answers the runs written, by id. */
    static Map<UUID, Run> writeAll(Connection c, List<Write> writes) throws SQLException {
        int n = writes.size();
        Object[][] cols = new Object[17][n];
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
        String[] types = {"uuid", "text", "text", "int4", "text", "text", "text", "timestamptz", "timestamptz",
            "timestamptz", "timestamptz", "timestamptz", "timestamptz", "bool", "text", "text", "text"};
        try (PreparedStatement ps = c.prepareStatement(SQL.get("apply_batch"))) {
            for (int k = 0; k < types.length; k++) {
                ps.setArray(k + 1, c.createArrayOf(types[k], cols[k]));
            }
            Map<UUID, Run> out = new HashMap<>();
            for (Run r : all(ps)) {
                out.put(r.id(), r);
            }
            return out;
        }
    }

    /** A worker's successes: run ids, their results (JSON text), and the attempt each names (or null). */
    record Completions(UUID projectId, String workerId, Object[] runIds, Object[] results, Object[] attempts) {}

    /** A run complete_batch completed, with what its callers need. */
    record Completed(UUID id, UUID jobId, boolean limited, String queue, UUID workflowRunId, String stepId,
            String result) {}

    static List<Completed> completeBatch(Connection c, Completions q) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(SQL.get("complete_batch"))) {
            ps.setArray(1, c.createArrayOf("uuid", q.runIds()));
            ps.setArray(2, c.createArrayOf("text", q.results()));
            ps.setArray(3, c.createArrayOf("int4", q.attempts()));
            ps.setObject(4, q.projectId());
            ps.setString(5, q.workerId());
            List<Completed> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Completed(rs.getObject(1, UUID.class), rs.getObject(2, UUID.class), rs.getBoolean(3),
                            rs.getString(4), rs.getObject(5, UUID.class), rs.getString(6), rs.getString(7)));
                }
            }
            return out;
        }
    }

    static List<Run> all(PreparedStatement ps) throws SQLException {
        List<Run> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
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
