package io.drover.workflows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.http.Json;
import io.drover.runs.RunSettledHook.Settled;
import io.drover.runs.RunStatus;
import io.drover.store.Query;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The work on one workflow run inside one transaction that holds its row lock. Settling a step
 * bumps its dependents' counters; those that reach their total go on a work list (not the call
 * stack, so a 1,000-step chain of instant steps is a loop, not a recursion). Job steps started in
 * one pass are triggered together, one insert per job. Decisions are buffered and written at the
 * end of the pass in one batch ({@link DecisionLog}). How steps start ({@link StepStarts}), how
 * the run ends ({@link RunEnd}), compensation ({@link Compensation}) and an operator's retry
 * ({@link OperatorRetry}) have classes of their own; every status change goes through
 * {@link StatusWrites} and the tables in {@link StepStatus} and {@link WorkflowRunStatus}.
 */
public final class Advance {
    final Engine e;
    final Connection c;
    final WorkflowRun run;
    final Graph g;
    private final ArrayDeque<Runnable0> work = new ArrayDeque<>();
    final StepContext ctx;
    private final StepStarts starts;
    private final DecisionLog log;
    private final Compensation compensation;
    final RunEnd end;
    private final StepWaits waits;
    private WorkflowRunStatus status;
    private boolean compensating;
    private int stepsLeft;

    @FunctionalInterface
    interface Runnable0 {
        void run() throws SQLException;
    }

    Advance(Engine e, Connection c, WorkflowRun run, Graph g) {
        this.e = e;
        this.c = c;
        this.run = run;
        this.g = g;
        this.status = run.status();
        this.compensating = run.compensating();
        this.stepsLeft = run.stepsLeft();
        this.ctx = new StepContext(c, run);
        this.starts = new StepStarts(this);
        this.log = new DecisionLog(c, run);
        this.compensation = new Compensation(this);
        this.end = new RunEnd(this);
        this.waits = new StepWaits(this);
    }

    boolean active() {
        return status == WorkflowRunStatus.RUNNING && !compensating;
    }

    WorkflowRunStatus status() {
        return status;
    }

    boolean isCompensating() {
        return status == WorkflowRunStatus.RUNNING && compensating;
    }

    /** Compensation begins: the run stays running, and no step of it starts or settles any more. */
    void startCompensating() {
        compensating = true;
    }

    /**
     * The run's status in this pass moves to {@code to}, checked against the table; its row follows
     * through {@link StatusWrites}. Set first, so that what the move causes within the pass (a
     * canceled step's job run settling, a sub-workflow finishing) sees it.
     */
    void moveTo(WorkflowRunStatus to) {
        if (!status.canMoveTo(to)) {
            throw new IllegalStateException("illegal workflow run transition: run " + run.id() + " is " + status.db()
                    + " and cannot move to " + to.db());
        }
        status = to;
        compensating = false;
    }

    void begin() {
        decide(null, "run_started", "run started on version " + run.version() + " with " + g.spec().steps().size()
                + " steps; " + g.roots().size() + " have no dependencies and start now", null);
        for (String id : g.roots()) {
            work.add(() -> ready(id, false));
        }
    }

    void drain() throws SQLException {
        while (!work.isEmpty() || starts.pending()) {
            while (!work.isEmpty()) {
                work.poll().run();
            }
            starts.flushJobs();
        }
        if (active() && stepsLeft == 0) {
            end.finishCompleted();
        }
        log.flush();
    }

    // ------------------------------------------------------------------------------ readiness

    private void ready(String id, boolean upstreamBlocked) throws SQLException {
        if (!active()) {
            return;
        }
        StepSpec s = g.step(id);
        if (upstreamBlocked) {
            settle(id, StepStatus.SKIPPED, null, null, "upstream", "skipped_upstream_failed",
                    "skipped: a step it depends on failed (skip_dependents) or was skipped for that reason");
            return;
        }
        if (s.condition() != null) {
            String cond = Json.write(s.conditionJson());
            if (!s.condition().test(context(s.condition().paths(), null))) {
                settle(id, StepStatus.SKIPPED, null, null, "condition", "skipped_by_condition",
                        "skipped: its condition " + cond + " is false", s.conditionJson());
                return;
            }
            decide(id, "condition_met", "its condition " + cond + " is true", null);
        }
        starts.start(id, false);
    }

    void unblock(String id) throws SQLException {
        Optional<StepRun> st = Rows.step(c, run.id(), id);
        if (active() && st.isPresent() && st.get().status() == StepStatus.PENDING && st.get().blocked()) {
            starts.start(id, true);
        }
    }

    // -------------------------------------------------------------------------- things happen

    /**
     * The job runs of a batch settled (one completion report, say), in its order: see
     * {@link BatchSettle}.
     */
    void runsDone(List<Settled> settled) throws SQLException {
        new BatchSettle(this).runsDone(settled);
    }

    void runDone(String stepId, UUID runId, RunStatus runStatus, String result, String runError) throws SQLException {
        if (Compensation.isCompensation(stepId)) {
            compensation.compensationDone(stepId, runId, runStatus);
            return;
        }
        Optional<StepRun> found = Rows.step(c, run.id(), stepId);
        if (!active() || found.isEmpty() || found.get().status() != StepStatus.RUNNING
                || !runId.equals(found.get().runId())) {
            return; // a run the step no longer waits for (canceled, timed out, replaced by a retry)
        }
        StepRun st = found.get();
        StepSpec s = g.step(stepId);
        if (runStatus == RunStatus.COMPLETED) {
            settle(stepId, StepStatus.COMPLETED, result == null ? "null" : result, null, null, "completed",
                    "completed: run " + runId + " finished");
            return;
        }
        if (runStatus != RunStatus.CANCELED && st.attempt() < s.maxAttempts()) {
            starts.startJob(s, context(pathsOf(s), null), st.concurrencyKey(), st.attempt() + 1, s.retryDelay(st.attempt()));
            return;
        }
        ObjectNode err = error("run_" + runStatus.db(), "run " + runId + " ended " + runStatus.db()
                + (st.attempt() > 1 ? " on step attempt " + st.attempt() + " of " + s.maxAttempts() : ""));
        err.put("run_id", runId.toString());
        if (runError != null) {
            err.set("run_error", Json.read(runError));
        }
        settleFailed(stepId, err);
    }

    void childDone(String stepId, UUID childId, WorkflowRunStatus childStatus, String output, String childError)
            throws SQLException {
        Optional<StepRun> st = Rows.step(c, run.id(), stepId);
        if (!active() || st.isEmpty() || st.get().status() != StepStatus.RUNNING
                || !childId.equals(st.get().childRunId())) {
            return;
        }
        if (childStatus == WorkflowRunStatus.COMPLETED) {
            settle(stepId, StepStatus.COMPLETED, output, null, null, "completed", "completed: sub-workflow run " + childId
                    + " completed; its output is this step's output");
            return;
        }
        ObjectNode err = error("sub_workflow_" + childStatus.db(), "sub-workflow run " + childId + " "
                + childStatus.db());
        err.put("child_run_id", childId.toString());
        if (childError != null) {
            err.set("child_error", Json.read(childError));
        }
        settleFailed(stepId, err);
    }

    void eventReceived(String stepId, String key, String payload) throws SQLException {
        waits.eventReceived(stepId, key, payload);
    }

    /** An operator approves or rejects a waiting approval step. */
    public void resolveApproval(String stepId, boolean approve, String comment, String by) throws SQLException {
        waits.resolveApproval(stepId, approve, comment, by);
    }

    /** A step's due time came: a sleep ends, an approval expires, an event wait or a step times out. */
    void due(String stepId) throws SQLException {
        waits.due(stepId);
    }

    // ------------------------------------------------------------------------------ settling

    void settleFailed(String id, ObjectNode err) throws SQLException {
        settleFailed(id, err, "failed");
    }

    void settleFailed(String id, ObjectNode err, String decision) throws SQLException {
        settle(id, StepStatus.FAILED, null, Json.write(err), null, decision, "failed: " + err.path("message").asText());
        onFailure(g.step(id), err);
    }

    void settle(String id, StepStatus to, String output, String err, String skipReason, String decision,
            String message) throws SQLException {
        settle(id, to, output, err, skipReason, decision, message, null);
    }

    private void settle(String id, StepStatus to, String output, String err, String skipReason, String decision,
            String message, JsonNode details) throws SQLException {
        StatusWrites.step(c, run.id(), id, to, "step_settle",
                q -> q.set("output", output).set("error", err).set("skip_reason", skipReason));
        decide(id, decision, message, details);
        stepsLeft = stepsLeftMinus(1);
        StepSpec s = g.step(id);
        if (s.concurrencyKey() != null) {
            e.wakeTimers(); // a key may be free: blocked steps of any run can go
        }
        switch (to) {
            case COMPLETED -> propagate(id, false);
            case SKIPPED -> propagate(id, "upstream".equals(skipReason));
            default -> { } // failed: onFailure decides; canceled: the run is ending
        }
    }

    /** {@code n} more steps settled (negative: start over); 0 steps left finishes the run. */
    void countOff(int n) throws SQLException {
        stepsLeft = stepsLeftMinus(n);
    }

    private int stepsLeftMinus(int n) throws SQLException {
        try (Query q = Rows.prepare(c, "steps_left", p -> p.set("settled", n).set("id", run.id()));
                ResultSet rs = q.query()) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private void propagate(String id, boolean blocked) throws SQLException {
        List<String> deps = g.dependents(id);
        if (deps.isEmpty()) {
            return;
        }
        try (Query q = Rows.prepare(c, "advance_dependents", p -> p.set("blocked", blocked ? 1 : 0)
                .set("workflow_run_id", run.id()).setArray("step_ids", "text", deps.toArray(String[]::new)));
                ResultSet rs = q.query()) {
            while (rs.next()) {
                if (rs.getInt(2) == rs.getInt(3)) {
                    String ready = rs.getString(1);
                    boolean anyBlocked = rs.getInt(4) > 0;
                    work.add(() -> ready(ready, anyBlocked));
                }
            }
        }
    }

    void onFailure(StepSpec s, ObjectNode err) throws SQLException {
        if (!active()) {
            return;
        }
        switch (s.onFailure()) {
            case "continue" -> {
                decide(s.id(), "failure_continued", "on_failure=continue: its dependents run as if it had completed", null);
                propagate(s.id(), false);
            }
            case "skip_dependents" -> {
                decide(s.id(), "failure_skips_dependents", "on_failure=skip_dependents: steps that depend on it are "
                        + "skipped; the rest of the run goes on", null);
                propagate(s.id(), true);
            }
            case "compensate" -> compensation.compensate(s.id(), err);
            default -> end.failRun(s.id(), err);
        }
    }

    // -------------------------------------------------------------------------- operator retry

    /** Retries a failed step: it, what depends on it, and steps canceled with the run, start over. */
    public void retryStep(String stepId) throws SQLException {
        new OperatorRetry(this).retryStep(stepId);
    }

    /** Cancels the whole run (operator request, or a parent being canceled). */
    public void cancelRun(String reason, boolean strict) throws SQLException {
        end.cancelRun(reason, strict);
    }

    /** A step whose dependencies have all settled, to be started (or skipped) in this pass. */
    void enqueueReady(String id, boolean upstreamBlocked) {
        work.add(() -> ready(id, upstreamBlocked));
    }

    static Collection<String> pathsOf(StepSpec s) {
        return StepContext.pathsOf(s);
    }

    Template.Context context(Collection<String> paths, String alsoStep) throws SQLException {
        return ctx.of(paths, alsoStep);
    }

    static ObjectNode error(String type, String message) {
        return Json.object().put("type", type).put("message", message);
    }

    void decide(String stepId, String decision, String message, JsonNode details) {
        log.decide(stepId, decision, message, details);
    }

}
