package io.drover.runs;

import io.drover.http.Page;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** The runs' read statements ({@code get_run}, {@code list_runs}, {@code run_events}): parameters in, rows out. */
final class RunReadSql {
    private RunReadSql() {}

    static Optional<Run> get(Connection c, UUID projectId, UUID runId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(RunSql.SQL.get("get_run"))) {
            ps.setObject(1, runId);
            ps.setObject(2, projectId);
            List<Run> runs = RunSql.all(ps);
            return runs.isEmpty() ? Optional.empty() : Optional.of(runs.get(0));
        }
    }

    /** A page of a project's runs, newest first (see list_runs and list_runs_in_state). */
    static Page<Run> list(Connection c, UUID projectId, UUID jobId, RunStatus status, UUID cursor, int limit)
            throws SQLException {
        boolean walk = status == null || status == RunStatus.COMPLETED;
        String sql;
        if (walk) {
            sql = RunSql.SQL.get("list_runs")
                    .replace("LIST_FILTERS", (jobId != null ? "AND job_id = ? " : "") + (cursor != null ? "AND id < ?" : ""))
                    // A literal, like list_runs_in_state's (below).
                    .replace("RUN_FILTERS", status != null ? "AND status = '" + status.db() + "'" : "");
        } else {
            StringBuilder in = new StringBuilder(RunSql.SQL.get("list_runs_in_state"));
            if (jobId != null) {
                in.append(" AND job_id = ?");
            }
            // A literal, so that every plan (generic ones too) can pick the partial index for it.
            in.append(" AND status = '").append(status.db()).append("'");
            if (cursor != null) {
                in.append(" AND id < ?");
            }
            sql = in.append(" ORDER BY id DESC LIMIT ?").toString();
        }
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            int p = 1;
            ps.setObject(p++, projectId);
            if (jobId != null) {
                ps.setObject(p++, jobId);
            }
            if (cursor != null) {
                ps.setObject(p++, cursor);
            }
            ps.setInt(p, limit + 1);
            return Page.of(RunSql.all(ps), limit, Run::id);
        }
    }

    static List<RunEvent> events(Connection c, UUID projectId, UUID runId, long afterSeq, int limit)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(RunSql.SQL.get("run_events"))) {
            ps.setObject(1, runId);
            ps.setObject(2, projectId);
            ps.setLong(3, afterSeq);
            ps.setInt(4, limit);
            List<RunEvent> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
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
        try (PreparedStatement ps = c.prepareStatement(RunSql.SQL.get("held_status"))) {
            ps.setArray(1, c.createArrayOf("uuid", runIds.toArray()));
            ps.setObject(2, projectId);
            java.util.Map<UUID, RunStore.HeldStatus> out = new java.util.HashMap<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getObject(1, UUID.class),
                            new RunStore.HeldStatus(RunStatus.fromDb(rs.getString(2)), rs.getString(3)));
                }
            }
            return out;
        }
    }
}
