package io.drover.workflows;

import io.drover.errors.Conflict;
import io.drover.errors.NotFound;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An operator retries a failed step, within an {@link Advance}: the step, what depends on it, and
 * the steps canceled with the run start over ({@link RetryPlan} says which, with their counters),
 * and a finished run is running again. Refused (409) for a step that did not fail, a compensating,
 * compensated or canceled run, or a downstream step still active.
 */
final class OperatorRetry {
    private final Advance a;
    private final Connection c;
    private final WorkflowRun run;

    OperatorRetry(Advance a) {
        this.a = a;
        this.c = a.c;
        this.run = a.run;
    }

    /** Retries a failed step: it, what depends on it, and steps canceled with the run, start over. */
    void retryStep(String stepId) throws SQLException {
        StepRun st = Rows.step(c, run.id(), stepId).orElseThrow(() -> new NotFound("step", stepId));
        if (st.status() != StepStatus.FAILED) {
            throw new Conflict("not_failed", "step '" + stepId + "' is " + st.status().db()
                    + "; only a failed step can be retried", Map.of("status", st.status().db()));
        }
        WorkflowRunStatus status = a.status();
        if (a.isCompensating() || status == WorkflowRunStatus.CANCELED) {
            throw new Conflict("illegal_transition", "the workflow run is "
                    + (a.isCompensating() ? "compensating" : status.db()) + "; its steps cannot be retried",
                    Map.of("status", status.db()));
        }
        List<StepRun> all = Rows.steps(c, run.id());
        if (all.stream().anyMatch(StepRun::compensated)) {
            throw new Conflict("compensated", "the workflow run was compensated; trigger a new run instead",
                    Map.of());
        }
        RetryPlan plan = RetryPlan.of(a.g, all, stepId);
        Map<String, StepStatus> before = new HashMap<>();
        all.forEach(s -> before.put(s.stepId(), s.status()));
        for (var e : plan.reset().entrySet()) {
            if (before.get(e.getKey()) == StepStatus.PENDING) {
                // not settled yet: its counters start over, its status stays
                Rows.update(c, "reset_pending_step", q -> q.set("deps_done", e.getValue().depsDone())
                        .set("deps_blocked", e.getValue().depsBlocked()).set("workflow_run_id", run.id())
                        .set("step_id", e.getKey()));
            } else {
                StatusWrites.step(c, run.id(), e.getKey(), StepStatus.PENDING, "reset_step",
                        q -> q.set("deps_done", e.getValue().depsDone())
                                .set("deps_blocked", e.getValue().depsBlocked()));
            }
        }
        if (a.status() != WorkflowRunStatus.RUNNING) {
            a.moveTo(WorkflowRunStatus.RUNNING); // a finished run runs again
            StatusWrites.run(c, run.id(), WorkflowRunStatus.RUNNING, "reopen_run");
        }
        // steps_left grows by the steps that had settled; reset steps that were still pending were never counted off
        a.countOff(-plan.settledBefore());
        a.decide(stepId, "retried_by_operator", "retried by an operator; " + plan.reset().size()
                + " step(s) start over: " + plan.reset().keySet(), null);
        for (var e : plan.reset().entrySet()) {
            if (e.getValue().ready()) {
                a.enqueueReady(e.getKey(), e.getValue().depsBlocked() > 0);
            }
        }
    }
}
