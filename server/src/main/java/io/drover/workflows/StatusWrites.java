package io.drover.workflows;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.UUID;

/**
 * The one place that writes the status of a step run or a workflow run. Each statement that sets a
 * status ({@code step_start}, {@code step_settle}, {@code reset_step}, {@code finish_run},
 * {@code reopen_run} in {@code workflows.sql}) takes the new status first and ends with
 * {@code status = ANY(?)}, filled here with the states the table in {@link StepStatus} or
 * {@link WorkflowRunStatus} lets move to it: the database changes only a row whose current status
 * may make the move, in the same statement. A row it did not change is a bug in the engine, not bad
 * input, and throws {@link IllegalStateException}, which rolls the transaction back.
 * ({@code cancel_active_steps} selects its rows by {@code CANCELED.sources()} the same way.)
 */
final class StatusWrites {
    private StatusWrites() {}

    /** Moves one step to {@code to}; {@code params} are the statement's own, between the status and the row. */
    static void step(Connection c, UUID runId, String stepId, StepStatus to, String statement, Object... params)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(Rows.SQL.get(statement))) {
            bindStep(c, ps, runId, stepId, to, params);
            check(c, runId, stepId, to, ps.executeUpdate());
        }
    }

    /** Moves one workflow run to {@code to}. */
    static void run(Connection c, UUID runId, WorkflowRunStatus to, String statement, Object... params)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(Rows.SQL.get(statement))) {
            Rows.bind(c, ps, row(to.db(), params, runId, names(to.sources())));
            if (ps.executeUpdate() != 1) {
                String now = Rows.run(c, "lock_run", runId).map(r -> r.status().db()).orElse("missing");
                throw new IllegalStateException("illegal workflow run transition: run " + runId + " is " + now
                        + " and cannot move to " + to.db() + " (" + statement + ")");
            }
        }
    }

    /** Several moves of steps of one run with one statement, sent as one batch. */
    static Batch batch(Connection c, UUID runId, String statement) throws SQLException {
        return new Batch(c, runId, statement);
    }

    static final class Batch implements AutoCloseable {
        private final Connection c;
        private final UUID runId;
        private final PreparedStatement ps;
        private final List<String> stepIds = new ArrayList<>();
        private final List<StepStatus> targets = new ArrayList<>();

        private Batch(Connection c, UUID runId, String statement) throws SQLException {
            this.c = c;
            this.runId = runId;
            this.ps = c.prepareStatement(Rows.SQL.get(statement));
        }

        void add(String stepId, StepStatus to, Object... params) throws SQLException {
            bindStep(c, ps, runId, stepId, to, params);
            ps.addBatch();
            stepIds.add(stepId);
            targets.add(to);
        }

        void execute() throws SQLException {
            int[] counts = ps.executeBatch();
            for (int i = 0; i < counts.length; i++) {
                check(c, runId, stepIds.get(i), targets.get(i), counts[i]);
            }
            stepIds.clear();
            targets.clear();
        }

        @Override
        public void close() throws SQLException {
            ps.close();
        }
    }

    private static void bindStep(Connection c, PreparedStatement ps, UUID runId, String stepId, StepStatus to,
            Object[] params) throws SQLException {
        Rows.bind(c, ps, row(to.db(), params, runId, stepId, names(to.sources())));
    }

    private static void check(Connection c, UUID runId, String stepId, StepStatus to, int count) throws SQLException {
        if (count == PreparedStatement.SUCCESS_NO_INFO || count == 1) {
            return;
        }
        String now = Rows.step(c, runId, stepId).map(s -> s.status().db()).orElse("missing");
        throw new IllegalStateException("illegal workflow step transition: step '" + stepId + "' of run " + runId
                + " is " + now + " and cannot move to " + to.db());
    }

    private static Object[] row(String status, Object[] params, Object... tail) {
        Object[] all = new Object[1 + params.length + tail.length];
        all[0] = status;
        System.arraycopy(params, 0, all, 1, params.length);
        System.arraycopy(tail, 0, all, 1 + params.length, tail.length);
        return all;
    }

    static String[] names(Collection<? extends Enum<?>> states) {
        return states.stream().map(s -> s.name().toLowerCase(java.util.Locale.ROOT)).toArray(String[]::new);
    }
}
