package io.drover.runs;

import io.drover.http.Page;
import io.drover.store.Query;
import io.drover.store.Statement;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/** The runs' read statements ({@code get_run}, {@code list_runs}, {@code run_events}): parameters in, rows out. */
final class RunReadSql {
    private static final Statement GET_RUN = RunSql.SQL.statement("get_run");
    private static final Statement LIST_RUNS = RunSql.SQL.statement("list_runs");
    private static final Statement LIST_RUNS_IN_STATE = RunSql.SQL.statement("list_runs_in_state");
    private static final Statement RUN_EVENTS = RunSql.SQL.statement("run_events");
    private static final Statement HELD_STATUS = RunSql.SQL.statement("held_status");
    /** The list statements with their filters in, by the filters' text: a few dozen at most. */
    private static final Map<String, Statement> LISTS = new ConcurrentHashMap<>();

    private RunReadSql() {}

    static Optional<Run> get(Connection c, UUID projectId, UUID runId) throws SQLException {
        try (Query q = GET_RUN.prepare(c)) {
            q.set("run_id", runId).set("project_id", projectId);
            List<Run> runs = RunSql.all(q);
            return runs.isEmpty() ? Optional.empty() : Optional.of(runs.get(0));
        }
    }

    /** A page of a project's runs, newest first (see list_runs and list_runs_in_state). */
    static Page<Run> list(Connection c, UUID projectId, UUID jobId, RunStatus status, UUID cursor, int limit)
            throws SQLException {
        return list(c, projectId, jobId, status, null, cursor, limit);
    }

    /** As above, only the children of {@code parentId} when it is not null (run_list_parent, V19). */
    static Page<Run> list(Connection c, UUID projectId, UUID jobId, RunStatus status, UUID parentId, UUID cursor,
            int limit) throws SQLException {
        // A parent's children always come from run_list's walk of its partial index, in any state.
        boolean walk = status == null || status == RunStatus.COMPLETED || parentId != null;
        // The status goes in as a literal of a RunStatus constant (db() of an enum, never request
        // text), not a parameter: with the literal every plan (generic ones too) can pick the
        // partial index for that state (see list_runs_in_state).
        Statement list;
        if (walk) {
            String listFilters = (jobId != null ? "AND job_id = :job_id " : "")
                    + (parentId != null ? "AND parent_run_id = :parent_id " : "")
                    + (cursor != null ? "AND id < :cursor" : "");
            String runFilters = status != null ? "AND status = '" + status.db() + "'" : "";
            list = LISTS.computeIfAbsent("walk|" + listFilters + "|" + runFilters, k -> LIST_RUNS
                    .replace("LIST_FILTERS", listFilters).replace("RUN_FILTERS", runFilters));
        } else {
            String runFilters = (jobId != null ? "AND job_id = :job_id " : "") + "AND status = '" + status.db() + "'"
                    + (cursor != null ? " AND id < :cursor" : "");
            list = LISTS.computeIfAbsent("state|" + runFilters,
                    k -> LIST_RUNS_IN_STATE.replace("RUN_FILTERS", runFilters));
        }
        try (Query q = list.prepare(c)) {
            q.set("project_id", projectId).set("limit", limit + 1);
            if (jobId != null) {
                q.set("job_id", jobId);
            }
            if (parentId != null) {
                q.set("parent_id", parentId);
            }
            if (cursor != null) {
                q.set("cursor", cursor);
            }
            return Page.of(RunSql.all(q), limit, Run::id);
        }
    }

    static List<RunEvent> events(Connection c, UUID projectId, UUID runId, long afterSeq, int limit)
            throws SQLException {
        try (Query q = RUN_EVENTS.prepare(c)) {
            q.set("run_id", runId).set("project_id", projectId).set("after_seq", afterSeq).set("limit", limit);
            List<RunEvent> out = new ArrayList<>();
            try (ResultSet rs = q.query()) {
                while (rs.next()) {
                    Instant createdAt = rs.getTimestamp(9).toInstant();
                    long seq = rs.getLong(10);
                    UUID id = rs.getObject(1, UUID.class); // null since V5: derived from the row
                    out.add(new RunEvent(id != null ? id : RunEvent.derivedId(createdAt, seq), rs.getObject(2, UUID.class),
                            rs.getString(3), rs.getString(4), rs.getString(5), rs.getInt(6), rs.getString(7),
                            rs.getString(8), createdAt, seq));
                }
            }
            return out;
        }
    }

    static java.util.Map<UUID, RunStore.HeldStatus> heldStatus(Connection c, UUID projectId, List<UUID> runIds)
            throws SQLException {
        try (Query q = HELD_STATUS.prepare(c)) {
            q.setArray("run_ids", "uuid", runIds.toArray()).set("project_id", projectId);
            java.util.Map<UUID, RunStore.HeldStatus> out = new java.util.HashMap<>();
            try (ResultSet rs = q.query()) {
                while (rs.next()) {
                    out.put(rs.getObject(1, UUID.class),
                            new RunStore.HeldStatus(RunStatus.fromDb(rs.getString(2)), rs.getString(3)));
                }
            }
            return out;
        }
    }
}
