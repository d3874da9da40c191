package io.drover.workflows;

import io.drover.store.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** Statement plumbing over {@code sql/workflows.sql}: typed helpers, no decisions. */
final class Rows {
    static final Sql SQL = Sql.load("/sql/workflows.sql",
            Map.of("WF_COLUMNS", WorkflowRun.COLUMNS, "STEP_COLUMNS", StepRun.COLUMNS));

    private Rows() {}

    static PreparedStatement prepare(Connection c, String name, Object... params) throws SQLException {
        PreparedStatement ps = c.prepareStatement(SQL.get(name));
        bind(c, ps, params);
        return ps;
    }

    static void bind(Connection c, PreparedStatement ps, Object... params) throws SQLException {
        for (int i = 0; i < params.length; i++) {
            Object p = params[i];
            if (p instanceof Instant t) {
                ps.setTimestamp(i + 1, Timestamp.from(t));
            } else if (p instanceof String[] a) {
                ps.setArray(i + 1, c.createArrayOf("text", a));
            } else if (p instanceof Integer[] a) {
                ps.setArray(i + 1, c.createArrayOf("int4", a));
            } else {
                ps.setObject(i + 1, p);
            }
        }
    }

    static int update(Connection c, String name, Object... params) throws SQLException {
        try (PreparedStatement ps = prepare(c, name, params)) {
            return ps.executeUpdate();
        }
    }

    static Optional<WorkflowRun> run(Connection c, String name, Object... params) throws SQLException {
        try (PreparedStatement ps = prepare(c, name, params); ResultSet rs = ps.executeQuery()) {
            return rs.next() ? Optional.of(WorkflowRun.map(rs)) : Optional.empty();
        }
    }

    static List<WorkflowRun> runs(Connection c, String name, Object... params) throws SQLException {
        List<WorkflowRun> out = new ArrayList<>();
        try (PreparedStatement ps = prepare(c, name, params); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(WorkflowRun.map(rs));
            }
        }
        return out;
    }

    static Optional<StepRun> step(Connection c, UUID runId, String stepId) throws SQLException {
        try (PreparedStatement ps = prepare(c, "get_step", runId, stepId); ResultSet rs = ps.executeQuery()) {
            return rs.next() ? Optional.of(StepRun.map(rs)) : Optional.empty();
        }
    }

    static List<StepRun> steps(Connection c, UUID runId) throws SQLException {
        List<StepRun> out = new ArrayList<>();
        try (PreparedStatement ps = prepare(c, "steps_of_run", runId); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(StepRun.map(rs));
            }
        }
        return out;
    }

    static void decide(Connection c, UUID projectId, UUID runId, String stepId, String decision, String message,
            String details) throws SQLException {
        update(c, "decide", projectId, runId, stepId, decision, message, details);
    }
}
