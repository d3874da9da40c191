package io.drover.workflows;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.events.Approvals;
import io.drover.events.EventWaits;
import io.drover.http.ApiError;
import io.drover.http.Json;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * Steps that wait, within an {@link Advance}: an event arrives for a {@code wait_for_event} step,
 * an operator approves or rejects an approval step, and a step's due time comes (a sleep ends, an
 * approval expires, an event wait or a job or sub-workflow step times out).
 */
final class StepWaits {
    private final Advance a;
    private final Engine e;
    private final Connection c;
    private final WorkflowRun run;
    private final Graph g;

    StepWaits(Advance a) {
        this.a = a;
        this.e = a.e;
        this.c = a.c;
        this.run = a.run;
        this.g = a.g;
    }

    void eventReceived(String stepId, String key, String payload) throws SQLException {
        Optional<StepRun> st = Rows.step(c, run.id(), stepId);
        if (a.active() && st.isPresent() && st.get().status() == StepStatus.WAITING
                && st.get().type().equals("wait_for_event")) {
            a.settle(stepId, StepStatus.COMPLETED, payload, null, null, "event_received",
                    "event '" + key + "' received");
        }
    }

    /** An operator approves or rejects a waiting approval step. */
    void resolveApproval(String stepId, boolean approve, String comment, String by) throws SQLException {
        StepRun st = Rows.step(c, run.id(), stepId)
                .orElseThrow(() -> ApiError.notFound("step", stepId));
        if (!st.type().equals("approval")) {
            throw ApiError.conflict("not_an_approval", "step '" + stepId + "' is a " + st.type()
                    + " step, not an approval", Map.of("step_id", stepId));
        }
        if (!a.active() || st.status() != StepStatus.WAITING) {
            throw ApiError.conflict("not_waiting", "step '" + stepId + "' is " + st.status().db() + " in a "
                    + a.status().db() + " run; only a waiting approval can be " + (approve ? "approved" : "rejected"),
                    Map.of("status", st.status().db()));
        }
        Approvals.resolveStep(c, run.id(), stepId, approve ? "approved" : "rejected", comment, by);
        ObjectNode out = Json.object().put("approved", approve).put("comment", comment).put("by", by);
        if (approve) {
            a.settle(stepId, StepStatus.COMPLETED, Json.write(out), null, null, "approved",
                    "approved by " + by + (comment == null ? "" : ": " + comment));
        } else {
            ObjectNode err = Advance.error("rejected", comment == null ? "rejected by " + by : comment);
            err.put("by", by);
            a.settle(stepId, StepStatus.FAILED, null, Json.write(err), null, "rejected",
                    "rejected by " + by + (comment == null ? "" : ": " + comment));
            a.onFailure(g.step(stepId), err);
        }
    }

    void due(String stepId) throws SQLException {
        Optional<StepRun> found = Rows.step(c, run.id(), stepId);
        if (!a.active() || found.isEmpty() || !found.get().isActive() || found.get().dueAt() == null
                || found.get().dueAt().isAfter(e.clock.instant())) {
            return;
        }
        StepRun st = found.get();
        switch (st.type()) {
            case "sleep" -> a.settle(stepId, StepStatus.COMPLETED, Json.write(Json.object().put("slept_until",
                    st.dueAt().toString())), null, null, "woke", "woke: slept until " + st.dueAt());
            case "approval" -> {
                Approvals.resolveStep(c, run.id(), stepId, "expired", null, null);
                a.settleFailed(stepId, Advance.error("approval_expired", "no one approved or rejected it by "
                        + st.dueAt()), "approval_expired");
            }
            case "wait_for_event" -> {
                EventWaits.end(c, run.id(), stepId, "timed_out");
                a.settleFailed(stepId, Advance.error("event_timeout", "no event arrived by " + st.dueAt()),
                        "event_timed_out");
            }
            default -> {
                a.settleFailed(stepId, Advance.error("step_timeout", "the step ran past timeout_secs="
                        + g.step(stepId).timeoutSecs()), "timed_out");
                if (st.runId() != null) {
                    e.runs.cancelIfFree(c, st.runId(), "workflow step '" + stepId + "' timed out");
                }
                if (st.childRunId() != null) {
                    e.cancelNested(c, st.childRunId(), "parent step '" + stepId + "' timed out");
                }
            }
        }
    }
}
