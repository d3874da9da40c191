package io.drover.workflows;

import io.drover.store.Query;
import io.drover.store.Sql;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
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

    /** Binds a statement's parameters by name. */
    @FunctionalInterface
    interface Params {
        void bind(Query q) throws SQLException;
    }

    static Query prepare(Connection c, String name, Params params) throws SQLException {
        Query q = SQL.prepare(c, name);
        try {
            params.bind(q);
        } catch (SQLException | RuntimeException e) {
            q.close();
            throw e;
        }
        return q;
    }

    static int update(Connection c, String name, Params params) throws SQLException {
        try (Query q = prepare(c, name, params)) {
            return q.update();
        }
    }

    static Optional<WorkflowRun> run(Connection c, String name, Params params) throws SQLException {
        try (Query q = prepare(c, name, params); ResultSet rs = q.query()) {
            return rs.next() ? Optional.of(WorkflowRun.map(rs)) : Optional.empty();
        }
    }

    /** The run, locked (FOR UPDATE). */
    static Optional<WorkflowRun> lock(Connection c, UUID runId) throws SQLException {
        return run(c, "lock_run", q -> q.set("id", runId));
    }

    static List<WorkflowRun> runs(Connection c, String name, Params params) throws SQLException {
        List<WorkflowRun> out = new ArrayList<>();
        try (Query q = prepare(c, name, params); ResultSet rs = q.query()) {
            while (rs.next()) {
                out.add(WorkflowRun.map(rs));
            }
        }
        return out;
    }

    static Optional<StepRun> step(Connection c, UUID runId, String stepId) throws SQLException {
        try (Query q = prepare(c, "get_step", p -> p.set("workflow_run_id", runId).set("step_id", stepId));
                ResultSet rs = q.query()) {
            return rs.next() ? Optional.of(StepRun.map(rs)) : Optional.empty();
        }
    }

    static List<StepRun> steps(Connection c, UUID runId) throws SQLException {
        List<StepRun> out = new ArrayList<>();
        try (Query q = prepare(c, "steps_of_run", p -> p.set("workflow_run_id", runId)); ResultSet rs = q.query()) {
            while (rs.next()) {
                out.add(StepRun.map(rs));
            }
        }
        return out;
    }
}
