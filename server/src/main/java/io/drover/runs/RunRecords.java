package io.drover.runs;

import io.drover.errors.Conflict;
import io.drover.errors.NotFound;
import io.drover.store.Query;
import io.drover.store.Sql;
import io.drover.store.UuidV7;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * What a run's worker records besides its outcome: checkpoints (the latest {@link #KEEP} per run)
 * and tool calls, both by the run's holder only, and the context a later claim carries
 * ({@code sql/run_records.sql}). Each write is one statement on the queue pool.
 */
final class RunRecords {
    static final Sql SQL = Sql.load("/sql/run_records.sql");
    /** Checkpoints kept per run: the latest is what a claim carries, the others are history. */
    static final int KEEP = 10;

    private final RunStore store;

    RunRecords(RunStore store) {
        this.store = store;
    }

    RunStore.Checkpoint checkpoint(UUID projectId, UUID runId, String workerId, String stateJson) {
        return store.hot().tx(c -> {
            try (Query q = SQL.prepare(c, "insert_checkpoint")) {
                q.set("run_id", runId).set("project_id", projectId).set("worker_id", workerId, Types.VARCHAR)
                        .set("state", stateJson, Types.VARCHAR).set("keep", KEEP);
                try (ResultSet rs = q.query()) {
                    if (rs.next()) {
                        return new RunStore.Checkpoint(rs.getInt(1), rs.getInt(2), stateJson, ts(rs, 3));
                    }
                }
            }
            throw notHeld(c, projectId, runId, workerId);
        });
    }

    RunStore.ToolCall recordToolCall(UUID projectId, UUID runId, String workerId, RunStore.NewToolCall call) {
        return store.hot().tx(c -> {
            try (Query q = SQL.prepare(c, "insert_tool_call")) {
                q.set("id", UuidV7.next()).set("run_id", runId).set("project_id", projectId)
                        .set("worker_id", workerId, Types.VARCHAR).set("name", call.name(), Types.VARCHAR)
                        .set("input", call.input(), Types.VARCHAR).set("output", call.output(), Types.VARCHAR)
                        .set("error", call.error(), Types.VARCHAR).set("duration_ms", call.durationMs(), Types.BIGINT);
                try (ResultSet rs = q.query()) {
                    if (rs.next()) {
                        return toolCall(rs);
                    }
                }
            }
            throw notHeld(c, projectId, runId, workerId);
        });
    }

    /** A run's tool calls oldest first, after {@code after} (null: from the first). */
    List<RunStore.ToolCall> toolCalls(UUID projectId, UUID runId, UUID after, int limit) {
        return store.db().read(c -> {
            if (RunReadSql.get(c, projectId, runId).isEmpty()) {
                throw new NotFound("run", runId.toString());
            }
            List<RunStore.ToolCall> out = new ArrayList<>();
            try (Query q = SQL.prepare(c, "list_tool_calls")) {
                q.set("run_id", runId).set("project_id", projectId).set("after", after).set("limit", limit);
                try (ResultSet rs = q.query()) {
                    while (rs.next()) {
                        out.add(toolCall(rs));
                    }
                }
            }
            return out;
        });
    }

    /** The context of claimed runs whose claim_context flag is set, by run id (runs with none are left out). */
    static Map<UUID, RunStore.ClaimContext> claimContext(Connection c, List<UUID> runIds) throws SQLException {
        Map<UUID, RunStore.ClaimContext> out = new HashMap<>();
        try (Query q = SQL.prepare(c, "claim_context")) {
            q.setArray("run_ids", "uuid", runIds.toArray());
            try (ResultSet rs = q.query()) {
                while (rs.next()) {
                    RunStore.Checkpoint cp = rs.getObject(2) == null ? null
                            : new RunStore.Checkpoint(rs.getInt(2), rs.getInt(3), rs.getString(4), ts(rs, 5));
                    String key = rs.getString(6);
                    RunStore.EventOutcome ev = key == null ? null
                            : "timed_out".equals(rs.getString(7)) ? new RunStore.EventOutcome(key, "null", true)
                            : new RunStore.EventOutcome(key, rs.getString(8), false);
                    if (cp != null || ev != null) {
                        out.put(rs.getObject(1, UUID.class), new RunStore.ClaimContext(cp, ev));
                    }
                }
            }
        }
        return out;
    }

    // ------------------------------------------------------------------------- event waits (RunChanges)

    static void lockEventKey(Connection c, UUID projectId, String key) throws SQLException {
        try (Query q = SQL.prepare(c, "event_key_lock")) {
            q.set("project_id", projectId.toString(), Types.VARCHAR).set("event_key", key, Types.VARCHAR).execute();
        }
    }

    /** The payload already sent for a key (JSON text), if any. */
    static Optional<String> sentEvent(Connection c, UUID projectId, String key) throws SQLException {
        try (Query q = SQL.prepare(c, "sent_event")) {
            q.set("project_id", projectId).set("event_key", key, Types.VARCHAR);
            try (ResultSet rs = q.query()) {
                return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
            }
        }
    }

    static boolean timedOutBefore(Connection c, UUID runId, String key) throws SQLException {
        try (Query q = SQL.prepare(c, "timed_out_wait")) {
            q.set("run_id", runId).set("event_key", key, Types.VARCHAR);
            try (ResultSet rs = q.query()) {
                return rs.next();
            }
        }
    }

    static void insertWait(Connection c, UUID projectId, UUID runId, String key, Instant until) throws SQLException {
        try (Query q = SQL.prepare(c, "insert_run_wait")) {
            q.set("id", UuidV7.next()).set("project_id", projectId).set("event_key", key, Types.VARCHAR)
                    .set("run_id", runId).set("expires_at", Timestamp.from(until), Types.TIMESTAMP).update();
        }
        try (Query q = SQL.prepare(c, "flag_claim_context")) {
            q.set("run_id", runId).update();
        }
    }

    /** Ends the run's open waits with {@code status}; answers the keys they waited for. */
    static List<String> endWaits(Connection c, UUID runId, String status) throws SQLException {
        List<String> keys = new ArrayList<>();
        try (Query q = SQL.prepare(c, "end_run_waits")) {
            q.set("status", status, Types.VARCHAR).set("run_id", runId);
            try (ResultSet rs = q.query()) {
                while (rs.next()) {
                    keys.add(rs.getString(1));
                }
            }
        }
        return keys;
    }

    /** Whether the run has a wait still open (one a send holds locked, when endWaits skipped it). */
    static boolean hasOpenWait(Connection c, UUID runId) throws SQLException {
        try (Query q = SQL.prepare(c, "open_run_wait")) {
            q.set("run_id", runId);
            try (ResultSet rs = q.query()) {
                return rs.next();
            }
        }
    }

    // ------------------------------------------------------------------------------------- rows

    private static RunStore.ToolCall toolCall(ResultSet rs) throws SQLException {
        long ms = rs.getLong(8);
        Long duration = rs.wasNull() ? null : ms;
        return new RunStore.ToolCall(rs.getObject(1, UUID.class), rs.getObject(2, UUID.class), rs.getInt(3),
                rs.getString(4), rs.getString(5), rs.getString(6), rs.getString(7), duration, ts(rs, 9));
    }

    private static Instant ts(ResultSet rs, int i) throws SQLException {
        Timestamp t = rs.getTimestamp(i);
        return t == null ? null : t.toInstant();
    }

    /** Why a worker cannot record for a run: unknown (404) or not held by it (409 not_held). */
    private static RuntimeException notHeld(Connection c, UUID projectId, UUID runId, String workerId)
            throws SQLException {
        Optional<Run> run = RunReadSql.get(c, projectId, runId);
        if (run.isEmpty()) {
            return new NotFound("run", runId.toString());
        }
        Run r = run.get();
        return new Conflict("not_held", "run is " + r.status().db()
                + (workerId.equals(r.workerId()) ? "" : " and held by " + (r.workerId() == null ? "no worker" : "another worker"))
                + "; this worker does not hold it", Map.of("status", r.status().db()));
    }
}
