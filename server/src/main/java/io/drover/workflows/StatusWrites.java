package io.drover.workflows;

import io.drover.eventlog.EventWrites;
import io.drover.store.Query;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.UUID;

/**
 * The one place that writes the status of a step run or a workflow run. Each statement that sets a
 * status ({@code step_start}, {@code step_settle}, {@code reset_step}, {@code finish_run},
 * {@code reopen_run} in {@code workflows.sql}) takes the new status as {@code :status} and ends with
 * {@code status = ANY(:sources)}, filled here with the states the table in {@link StepStatus} or
 * {@link WorkflowRunStatus} lets move to it: the database changes only a row whose current status
 * may make the move, in the same statement. A row it did not change is a bug in the engine, not bad
 * input, and throws {@link IllegalStateException}, which rolls the transaction back.
 * {@code cancel_active_steps} selects its rows by the states that may move to canceled the same way.
 * (New rows start in {@link StepStatus#INITIAL} and {@link WorkflowRunStatus#INITIAL}: see
 * {@link Engine#trigger}.)
 */
final class StatusWrites {
    private StatusWrites() {}

    /** Moves one step to {@code to}; {@code params} binds the statement's own parameters. */
    static void step(Connection c, UUID runId, String stepId, StepStatus to, String statement, Rows.Params params)
            throws SQLException {
        try (Query q = Rows.SQL.prepare(c, statement)) {
            bindStep(q, runId, stepId, to, params);
            check(c, runId, stepId, to, q.update());
        }
        EventWrites.workflowSteps(c, runId, List.of(stepId));
    }

    /**
     * Completes several running steps of one run with one statement ({@code steps_settle_completed}):
     * {@code outputs[i]} is the output of {@code stepIds[i]}, and settled_seq follows that order.
     */
    static void completeSteps(Connection c, UUID runId, List<String> stepIds, List<String> outputs)
            throws SQLException {
        StepStatus to = StepStatus.COMPLETED;
        List<String> changed = new ArrayList<>();
        try (Query q = Rows.SQL.prepare(c, "steps_settle_completed")) {
            q.set("status", to.db()).set("run_id", runId)
                    .setArray("step_ids", "text", stepIds.toArray())
                    .setArray("outputs", "text", outputs.toArray())
                    .setArray("sources", "text", names(to.sources()));
            try (ResultSet rs = q.query()) {
                while (rs.next()) {
                    changed.add(rs.getString(1));
                }
            }
        }
        if (changed.size() != stepIds.size()) {
            for (String id : stepIds) {
                if (!changed.contains(id)) {
                    check(c, runId, id, to, 0);
                }
            }
        }
        EventWrites.workflowSteps(c, runId, changed);
    }

    /** A job step started in one pass: its attempt, its run, its concurrency key and its due time. */
    record JobStepStart(String stepId, int attempt, UUID runId, String key, Instant due) {}

    /** Starts the job steps of one pass with one statement ({@code steps_start_jobs}). */
    static void startJobSteps(Connection c, UUID runId, List<JobStepStart> starts) throws SQLException {
        if (starts.isEmpty()) {
            return;
        }
        StepStatus to = StepStatus.RUNNING;
        List<String> changed = new ArrayList<>();
        try (Query q = Rows.SQL.prepare(c, "steps_start_jobs")) {
            q.set("status", to.db()).set("run_id", runId)
                    .setArray("step_ids", "text", starts.stream().map(JobStepStart::stepId).toArray())
                    .setArray("attempts", "int4", starts.stream().map(JobStepStart::attempt).toArray())
                    .setArray("run_ids", "uuid", starts.stream().map(JobStepStart::runId).toArray())
                    .setArray("keys", "text", starts.stream().map(JobStepStart::key).toArray())
                    .setArray("due_ats", "timestamptz", starts.stream()
                            .map(j -> j.due() == null ? null : Timestamp.from(j.due())).toArray())
                    .setArray("sources", "text", names(to.sources()));
            try (ResultSet rs = q.query()) {
                while (rs.next()) {
                    changed.add(rs.getString(1));
                }
            }
        }
        if (changed.size() != starts.size()) {
            for (JobStepStart j : starts) {
                if (!changed.contains(j.stepId())) {
                    check(c, runId, j.stepId(), to, 0);
                }
            }
            check(c, runId, starts.get(0).stepId(), to, 0); // the same step twice
        }
        EventWrites.workflowSteps(c, runId, changed);
    }

    /** Moves one step to {@code to} with a statement that has no parameters of its own. */
    static void step(Connection c, UUID runId, String stepId, StepStatus to, String statement) throws SQLException {
        step(c, runId, stepId, to, statement, q -> { });
    }

    /** Moves one workflow run to {@code to}; {@code params} binds the statement's own parameters. */
    static void run(Connection c, UUID runId, WorkflowRunStatus to, String statement, Rows.Params params)
            throws SQLException {
        try (Query q = Rows.SQL.prepare(c, statement)) {
            q.set("status", to.db()).set("id", runId).setArray("sources", "text", names(to.sources()));
            params.bind(q);
            if (q.update() != 1) {
                String now = Rows.lock(c, runId).map(r -> r.status().db()).orElse("missing");
                throw new IllegalStateException("illegal workflow run transition: run " + runId + " is " + now
                        + " and cannot move to " + to.db() + " (" + statement + ")");
            }
        }
        EventWrites.workflowRun(c, runId);
    }

    /** Moves one workflow run to {@code to} with a statement that has no parameters of its own. */
    static void run(Connection c, UUID runId, WorkflowRunStatus to, String statement) throws SQLException {
        run(c, runId, to, statement, q -> { });
    }

    /** A step canceled by {@link #cancelUnsettled}: its job run or sub-workflow run, and its status before. */
    record Canceled(String stepId, UUID runId, UUID childRunId, StepStatus was) {}

    /** Cancels every step of the run not yet settled: those whose status may move to canceled. */
    static List<Canceled> cancelUnsettled(Connection c, UUID runId) throws SQLException {
        List<Canceled> out = new ArrayList<>();
        try (Query q = Rows.prepare(c, "cancel_active_steps", p -> p.set("status", StepStatus.CANCELED.db())
                .set("workflow_run_id", runId).setArray("sources", "text", names(StepStatus.CANCELED.sources())));
                ResultSet rs = q.query()) {
            while (rs.next()) {
                out.add(new Canceled(rs.getString(1), rs.getObject(3, UUID.class), rs.getObject(4, UUID.class),
                        StepStatus.fromDb(rs.getString(5))));
            }
        }
        EventWrites.workflowSteps(c, runId, out.stream().map(Canceled::stepId).toList());
        return out;
    }

    /** Several moves of steps of one run with one statement, sent as one batch. */
    static Batch batch(Connection c, UUID runId, String statement) throws SQLException {
        return new Batch(c, runId, statement);
    }

    static final class Batch implements AutoCloseable {
        private final Connection c;
        private final UUID runId;
        private final Query q;
        private final List<String> stepIds = new ArrayList<>();
        private final List<StepStatus> targets = new ArrayList<>();

        private Batch(Connection c, UUID runId, String statement) throws SQLException {
            this.c = c;
            this.runId = runId;
            this.q = Rows.SQL.prepare(c, statement);
        }

        void add(String stepId, StepStatus to, Rows.Params params) throws SQLException {
            bindStep(q, runId, stepId, to, params);
            q.jdbc().addBatch();
            stepIds.add(stepId);
            targets.add(to);
        }

        void execute() throws SQLException {
            int[] counts = q.jdbc().executeBatch();
            for (int i = 0; i < counts.length; i++) {
                check(c, runId, stepIds.get(i), targets.get(i), counts[i]);
            }
            EventWrites.workflowSteps(c, runId, stepIds);
            stepIds.clear();
            targets.clear();
        }

        @Override
        public void close() throws SQLException {
            q.close();
        }
    }

    private static void bindStep(Query q, UUID runId, String stepId, StepStatus to, Rows.Params params)
            throws SQLException {
        q.set("status", to.db()).set("workflow_run_id", runId).set("step_id", stepId)
                .setArray("sources", "text", names(to.sources()));
        params.bind(q);
    }

    private static void check(Connection c, UUID runId, String stepId, StepStatus to, int count) throws SQLException {
        if (count == PreparedStatement.SUCCESS_NO_INFO || count == 1) {
            return;
        }
        String now = Rows.step(c, runId, stepId).map(s -> s.status().db()).orElse("missing");
        throw new IllegalStateException("illegal workflow step transition: step '" + stepId + "' of run " + runId
                + " is " + now + " and cannot move to " + to.db());
    }

    static String[] names(Collection<? extends Enum<?>> states) {
        return states.stream().map(s -> s.name().toLowerCase(java.util.Locale.ROOT)).toArray(String[]::new);
    }
}
