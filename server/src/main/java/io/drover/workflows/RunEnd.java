package io.drover.workflows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.errors.Conflict;
import io.drover.events.Approvals;
import io.drover.events.EventWaits;
import io.drover.http.Json;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;

/**
 * How a workflow run ends, within an {@link Advance}: completed when every step settled, failed by
 * a step whose {@code on_failure} is {@code fail_workflow} (or after compensation), canceled by an
 * operator or a canceled parent. Ending cancels the steps not yet settled, with their job runs,
 * sub-workflows, approvals and event waits, and tells the parent run's step, if any.
 */
final class RunEnd {
    private final Advance a;
    private final Engine e;
    private final Connection c;
    private final WorkflowRun run;
    private final Graph g;

    RunEnd(Advance a) {
        this.a = a;
        this.e = a.e;
        this.c = a.c;
        this.run = a.run;
        this.g = a.g;
    }

    static ObjectNode runError(String stepId, JsonNode err) {
        ObjectNode n = Json.object().put("step_id", stepId).put("message", "step '" + stepId + "' failed");
        n.set("error", err);
        return n;
    }

    void failRun(String stepId, JsonNode err) throws SQLException {
        ObjectNode runErr = runError(stepId, err);
        finish(WorkflowRunStatus.FAILED, null, Json.write(runErr),
                "the workflow run failed because step '" + stepId + "' failed",
                "run failed: step '" + stepId + "' failed and its on_failure is fail_workflow");
    }

    /** Cancels the whole run (operator request, or a parent being canceled). */
    void cancelRun(String reason, boolean strict) throws SQLException {
        WorkflowRunStatus status = a.status();
        if (!status.canMoveTo(WorkflowRunStatus.CANCELED)) {
            if (strict) {
                throw new Conflict("illegal_transition", "workflow run is " + status.db()
                        + " and cannot be canceled", Map.of("status", status.db()));
            }
            return;
        }
        finish(WorkflowRunStatus.CANCELED, null, null, reason, "run canceled: " + reason);
    }

    /**
     * Ends the run: in memory first, so that what this causes within the pass (a canceled step's
     * job run settling, a sub-workflow finishing) sees it ended; then, given a reason, the steps not
     * yet settled are canceled; then its row, its decision and its parent's step.
     */
    void finish(WorkflowRunStatus to, String output, String error, String cancelReason, String message)
            throws SQLException {
        a.moveTo(to);
        if (cancelReason != null) {
            cancelActive(cancelReason);
        }
        StatusWrites.run(c, run.id(), to, "finish_run", q -> q.set("output", output).set("error", error));
        a.decide(null, "run_" + to.db(), message, null);
        notifyParent(to, output, error);
    }

    /** Cancels every step not yet settled, with their job runs, sub-workflows, approvals and event waits. */
    void cancelActive(String reason) throws SQLException {
        List<StatusWrites.Canceled> canceled = StatusWrites.cancelUnsettled(c, run.id());
        if (canceled.isEmpty()) {
            return;
        }
        a.countOff(canceled.size());
        Approvals.resolveStep(c, run.id(), null, "canceled", null, null);
        EventWaits.end(c, run.id(), null, "canceled");
        for (StatusWrites.Canceled row : canceled) {
            boolean wasActive = row.was() != StepStatus.PENDING;
            a.decide(row.stepId(), "canceled", "canceled: " + reason, null);
            if (wasActive && row.runId() != null) {
                e.runs.cancelIfFree(c, row.runId(), reason);
            }
            if (wasActive && row.childRunId() != null) {
                e.cancelNested(c, row.childRunId(), "its parent workflow run was canceled or failed");
            }
        }
    }

    /** Every step settled and the run did not fail: its output is the template's, or its leaves'. */
    void finishCompleted() throws SQLException {
        JsonNode output;
        if (g.spec().output() != null) {
            output = Template.render(g.spec().output(), a.context(Template.paths(g.spec().output()), null));
        } else {
            Map<String, Template.StepState> leaves = a.ctx.states(g.leaves());
            ObjectNode o = Json.object();
            for (String leaf : g.leaves()) {
                Template.StepState st = leaves.get(leaf);
                if (st != null && st.status().equals(StepStatus.COMPLETED.db())) {
                    o.set(leaf, st.output());
                }
            }
            output = o;
        }
        finish(WorkflowRunStatus.COMPLETED, Json.write(output), null, null, "run completed: every step settled");
    }

    private void notifyParent(WorkflowRunStatus childStatus, String output, String err) throws SQLException {
        if (run.parentRunId() != null) {
            e.childFinished(c, run.parentRunId(), run.parentStepId(), run.id(), childStatus, output, err);
        }
    }
}
