package io.drover.workflows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.events.Approvals;
import io.drover.events.EventWaits;
import io.drover.http.ApiError;
import io.drover.http.Json;
import io.drover.jobs.Job;
import io.drover.runs.Run;
import io.drover.runs.RunStatus;
import io.drover.runs.RunStore;
import io.drover.runs.TriggerRequest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * The work on one workflow run inside one transaction that holds its row lock. Settling a step
 * bumps its dependents' counters; those that reach their total go on a work list (not the call
 * stack, so a 1,000-step chain of instant steps is a loop, not a recursion). Job steps started in
 * one pass are triggered together, one insert per job. Decisions are buffered and written at the
 * end of the pass in one batch.
 */
public final class Advance {
    final Engine e;
    final Connection c;
    final WorkflowRun run;
    final Graph g;
    private final ArrayDeque<Runnable0> work = new ArrayDeque<>();
    private final StepStarts starts;
    private final List<Object[]> decisions = new ArrayList<>();
    private String status;
    private boolean compensating;
    private int stepsLeft;
    private List<String> compQueue;

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
        this.compQueue = new ArrayList<>(run.compensationQueue());
        this.starts = new StepStarts(this);
    }

    boolean active() {
        return status.equals("running") && !compensating;
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
            finishCompleted();
        }
        flushDecisions();
    }

    // ------------------------------------------------------------------------------ readiness

    private void ready(String id, boolean upstreamBlocked) throws SQLException {
        if (!active()) {
            return;
        }
        StepSpec s = g.step(id);
        if (upstreamBlocked) {
            settle(id, "skipped", null, null, "upstream", "skipped_upstream_failed",
                    "skipped: a step it depends on failed (skip_dependents) or was skipped for that reason");
            return;
        }
        if (s.condition() != null) {
            String cond = Json.write(s.conditionJson());
            if (!s.condition().test(context(s.condition().paths(), null))) {
                settle(id, "skipped", null, null, "condition", "skipped_by_condition",
                        "skipped: its condition " + cond + " is false", s.conditionJson());
                return;
            }
            decide(id, "condition_met", "its condition " + cond + " is true", null);
        }
        starts.start(id, false);
    }

    void unblock(String id) throws SQLException {
        Optional<StepRun> st = Rows.step(c, run.id(), id);
        if (active() && st.isPresent() && st.get().status().equals("pending") && st.get().blocked()) {
            starts.start(id, true);
        }
    }

    // -------------------------------------------------------------------------- things happen

    void runDone(String stepId, UUID runId, RunStatus runStatus, String result, String runError) throws SQLException {
        if (stepId.endsWith(COMPENSATE)) {
            compensationDone(stepId.substring(0, stepId.length() - COMPENSATE.length()), runId, runStatus);
            return;
        }
        Optional<StepRun> found = Rows.step(c, run.id(), stepId);
        if (!active() || found.isEmpty() || !found.get().status().equals("running") || !runId.equals(found.get().runId())) {
            return; // a run the step no longer waits for (canceled, timed out, replaced by a retry)
        }
        StepRun st = found.get();
        StepSpec s = g.step(stepId);
        if (runStatus == RunStatus.COMPLETED) {
            settle(stepId, "completed", result == null ? "null" : result, null, null, "completed",
                    "completed: run " + runId + " finished");
            return;
        }
        if (runStatus != RunStatus.CANCELED && st.attempt() < s.maxAttempts()) {
            starts.startJob(s, context(pathsOf(s), null), st.concurrencyKey(), st.attempt() + 1, s.retryDelayMs());
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

    void childDone(String stepId, UUID childId, String childStatus, String output, String childError)
            throws SQLException {
        Optional<StepRun> st = Rows.step(c, run.id(), stepId);
        if (!active() || st.isEmpty() || !st.get().status().equals("running") || !childId.equals(st.get().childRunId())) {
            return;
        }
        if (childStatus.equals("completed")) {
            settle(stepId, "completed", output, null, null, "completed", "completed: sub-workflow run " + childId
                    + " completed; its output is this step's output");
            return;
        }
        ObjectNode err = error("sub_workflow_" + childStatus, "sub-workflow run " + childId + " " + childStatus);
        err.put("child_run_id", childId.toString());
        if (childError != null) {
            err.set("child_error", Json.read(childError));
        }
        settleFailed(stepId, err);
    }

    void eventReceived(String stepId, String key, String payload) throws SQLException {
        Optional<StepRun> st = Rows.step(c, run.id(), stepId);
        if (active() && st.isPresent() && st.get().status().equals("waiting") && st.get().type().equals("wait_for_event")) {
            settle(stepId, "completed", payload, null, null, "event_received", "event '" + key + "' received");
        }
    }

    /** An operator approves or rejects a waiting approval step. */
    public void resolveApproval(String stepId, boolean approve, String comment, String by) throws SQLException {
        StepRun st = Rows.step(c, run.id(), stepId)
                .orElseThrow(() -> ApiError.notFound("step", stepId));
        if (!st.type().equals("approval")) {
            throw ApiError.conflict("not_an_approval", "step '" + stepId + "' is a " + st.type() + " step, not an approval",
                    Map.of("step_id", stepId));
        }
        if (!active() || !st.status().equals("waiting")) {
            throw ApiError.conflict("not_waiting", "step '" + stepId + "' is " + st.status() + " in a " + status
                    + " run; only a waiting approval can be " + (approve ? "approved" : "rejected"),
                    Map.of("status", st.status()));
        }
        Approvals.resolveStep(c, run.id(), stepId, approve ? "approved" : "rejected", comment, by);
        ObjectNode out = Json.object().put("approved", approve).put("comment", comment).put("by", by);
        if (approve) {
            settle(stepId, "completed", Json.write(out), null, null, "approved",
                    "approved by " + by + (comment == null ? "" : ": " + comment));
        } else {
            ObjectNode err = error("rejected", comment == null ? "rejected by " + by : comment);
            err.put("by", by);
            settle(stepId, "failed", null, Json.write(err), null, "rejected",
                    "rejected by " + by + (comment == null ? "" : ": " + comment));
            onFailure(g.step(stepId), err);
        }
    }

    void due(String stepId) throws SQLException {
        Optional<StepRun> found = Rows.step(c, run.id(), stepId);
        if (!active() || found.isEmpty() || !found.get().isActive() || found.get().dueAt() == null
                || found.get().dueAt().isAfter(e.clock.instant())) {
            return;
        }
        StepRun st = found.get();
        switch (st.type()) {
            case "sleep" -> settle(stepId, "completed", Json.write(Json.object().put("slept_until",
                    st.dueAt().toString())), null, null, "woke", "woke: slept until " + st.dueAt());
            case "approval" -> {
                Approvals.resolveStep(c, run.id(), stepId, "expired", null, null);
                settleFailed(stepId, error("approval_expired", "no one approved or rejected it by " + st.dueAt()),
                        "approval_expired");
            }
            case "wait_for_event" -> {
                EventWaits.end(c, run.id(), stepId, "timed_out");
                settleFailed(stepId, error("event_timeout", "no event arrived by " + st.dueAt()), "event_timed_out");
            }
            default -> {
                settleFailed(stepId, error("step_timeout", "the step ran past timeout_secs="
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

    // ------------------------------------------------------------------------------ settling

    void settleFailed(String id, ObjectNode err) throws SQLException {
        settleFailed(id, err, "failed");
    }

    void settleFailed(String id, ObjectNode err, String decision) throws SQLException {
        settle(id, "failed", null, Json.write(err), null, decision, "failed: " + err.path("message").asText());
        onFailure(g.step(id), err);
    }

    void settle(String id, String to, String output, String err, String skipReason, String decision,
            String message) throws SQLException {
        settle(id, to, output, err, skipReason, decision, message, null);
    }

    private void settle(String id, String to, String output, String err, String skipReason, String decision,
            String message, JsonNode details) throws SQLException {
        Rows.update(c, "step_settle", to, output, err, skipReason, run.id(), id);
        decide(id, decision, message, details);
        stepsLeft = stepsLeftMinus(1);
        StepSpec s = g.step(id);
        if (s.concurrencyKey() != null) {
            e.wakeTimers(); // a key may be free: blocked steps of any run can go
        }
        switch (to) {
            case "completed" -> propagate(id, false);
            case "skipped" -> propagate(id, "upstream".equals(skipReason));
            default -> { } // failed: onFailure decides; canceled: the run is ending
        }
    }

    private int stepsLeftMinus(int n) throws SQLException {
        try (PreparedStatement ps = Rows.prepare(c, "steps_left", n, run.id()); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private void propagate(String id, boolean blocked) throws SQLException {
        List<String> deps = g.dependents(id);
        if (deps.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = Rows.prepare(c, "advance_dependents", blocked ? 1 : 0, run.id(),
                deps.toArray(String[]::new)); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                if (rs.getInt(2) == rs.getInt(3)) {
                    String ready = rs.getString(1);
                    boolean anyBlocked = rs.getInt(4) > 0;
                    work.add(() -> ready(ready, anyBlocked));
                }
            }
        }
    }

    private void onFailure(StepSpec s, ObjectNode err) throws SQLException {
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
            case "compensate" -> compensate(s.id(), err);
            default -> failRun(s.id(), err);
        }
    }

    private ObjectNode runError(String stepId, JsonNode err) {
        ObjectNode n = Json.object().put("step_id", stepId).put("message", "step '" + stepId + "' failed");
        n.set("error", err);
        return n;
    }

    private void failRun(String stepId, JsonNode err) throws SQLException {
        ObjectNode runErr = runError(stepId, err);
        status = "failed";
        cancelActive("the workflow run failed because step '" + stepId + "' failed");
        Rows.update(c, "finish_run", "failed", null, Json.write(runErr), run.id());
        decide(null, "run_failed", "run failed: step '" + stepId + "' failed and its on_failure is fail_workflow", null);
        notifyParent("failed", null, Json.write(runErr));
    }

    /** Cancels the whole run (operator request, or a parent being canceled). */
    public void cancelRun(String reason, boolean strict) throws SQLException {
        if (!status.equals("running")) {
            if (strict) {
                throw ApiError.conflict("illegal_transition", "workflow run is " + status + " and cannot be canceled",
                        Map.of("status", status));
            }
            return;
        }
        status = "canceled";
        compensating = false;
        cancelActive(reason);
        Rows.update(c, "finish_run", "canceled", null, null, run.id());
        decide(null, "run_canceled", "run canceled: " + reason, null);
        notifyParent("canceled", null, null);
    }

    /** Cancels every step not yet settled, with their job runs, sub-workflows, approvals and event waits. */
    private void cancelActive(String reason) throws SQLException {
        List<Object[]> canceled = new ArrayList<>();
        try (PreparedStatement ps = Rows.prepare(c, "cancel_active_steps", run.id(), run.id());
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                canceled.add(new Object[] {rs.getString(1), rs.getObject(3, UUID.class), rs.getObject(4, UUID.class),
                        rs.getString(5)});
            }
        }
        if (canceled.isEmpty()) {
            return;
        }
        stepsLeft = stepsLeftMinus(canceled.size());
        Approvals.resolveStep(c, run.id(), null, "canceled", null, null);
        EventWaits.end(c, run.id(), null, "canceled");
        for (Object[] row : canceled) {
            String stepId = (String) row[0];
            boolean wasActive = !"pending".equals(row[3]);
            decide(stepId, "canceled", "canceled: " + reason, null);
            if (wasActive && row[1] != null) {
                e.runs.cancelIfFree(c, (UUID) row[1], reason);
            }
            if (wasActive && row[2] != null) {
                e.cancelNested(c, (UUID) row[2], "its parent workflow run was canceled or failed");
            }
        }
    }

    // --------------------------------------------------------------------------- compensation

    static final String COMPENSATE = "#compensate";

    private void compensate(String failedId, JsonNode err) throws SQLException {
        compensating = true;
        cancelActive("step '" + failedId + "' failed and its on_failure is compensate");
        String[] withCompensation = g.spec().steps().stream().filter(s -> s.compensate() != null).map(StepSpec::id)
                .toArray(String[]::new);
        List<String> queue = new ArrayList<>();
        try (PreparedStatement ps = Rows.prepare(c, "compensable_steps", run.id(), withCompensation);
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                queue.add(rs.getString(1));
            }
        }
        Rows.update(c, "start_compensation", queue.toArray(String[]::new), Json.write(runError(failedId, err)), run.id());
        compQueue = queue;
        decide(null, "compensating", "step '" + failedId + "' failed with on_failure=compensate: compensating "
                + queue.size() + " completed step(s) in reverse order: " + queue, null);
        nextCompensation();
    }

    private void nextCompensation() throws SQLException {
        while (!compQueue.isEmpty()) {
            String id = compQueue.remove(0);
            Rows.update(c, "pop_compensation", run.id());
            StepSpec s = g.step(id);
            Optional<Job> job = e.jobs.find(c, run.projectId(), s.compensate().job(), false);
            if (job.isEmpty()) {
                decide(id, "compensation_failed", "compensation job '" + s.compensate().job() + "' no longer exists",
                        null);
                continue;
            }
            List<String> paths = new ArrayList<>(Template.paths(s.compensate().payload()));
            JsonNode payload = Template.render(s.compensate().payload(), context(paths, id));
            TriggerRequest req = new TriggerRequest(payload == null ? Json.MAPPER.nullNode() : payload,
                    Json.object().put("workflow_run_id", run.id().toString()).put("step_id", id + COMPENSATE), null,
                    null, null, null, null);
            Run r = e.runs.triggerIn(c, job.get(), List.of(req), RunStore.Origin.API,
                    new RunStore.StepLink(run.id(), List.of(id + COMPENSATE))).runs().get(0);
            decide(id, "compensating", "compensating: run " + r.id() + " of job '" + s.compensate().job() + "'",
                    Json.object().put("run_id", r.id().toString()));
            return;
        }
        status = "failed";
        compensating = false;
        Rows.update(c, "finish_run", "failed", null, currentError(), run.id());
        decide(null, "run_failed", "run failed after compensation finished", null);
        notifyParent("failed", null, currentError());
    }

    private String currentError() throws SQLException {
        return Rows.run(c, "lock_run", run.id()).orElseThrow().error();
    }

    private void compensationDone(String stepId, UUID runId, RunStatus runStatus) throws SQLException {
        if (!status.equals("running") || !compensating) {
            return;
        }
        if (runStatus == RunStatus.COMPLETED) {
            Rows.update(c, "step_compensated", run.id(), stepId);
            decide(stepId, "compensated", "compensated: run " + runId + " completed", null);
        } else {
            decide(stepId, "compensation_failed", "compensation run " + runId + " ended " + runStatus.db()
                    + "; going on with the next one", null);
        }
        nextCompensation();
    }

    // ------------------------------------------------------------------------------ finishing

    private void finishCompleted() throws SQLException {
        JsonNode output;
        if (g.spec().output() != null) {
            output = Template.render(g.spec().output(), context(Template.paths(g.spec().output()), null));
        } else {
            Map<String, Template.StepState> leaves = states(g.leaves());
            ObjectNode o = Json.object();
            for (String leaf : g.leaves()) {
                Template.StepState st = leaves.get(leaf);
                if (st != null && st.status().equals("completed")) {
                    o.set(leaf, st.output());
                }
            }
            output = o;
        }
        status = "completed";
        String out = Json.write(output);
        Rows.update(c, "finish_run", "completed", out, null, run.id());
        decide(null, "run_completed", "run completed: every step settled", null);
        notifyParent("completed", out, null);
    }

    private void notifyParent(String childStatus, String output, String err) throws SQLException {
        if (run.parentRunId() != null) {
            e.childFinished(c, run.parentRunId(), run.parentStepId(), run.id(), childStatus, output, err);
        }
    }

    // -------------------------------------------------------------------------- operator retry

    /** Retries a failed step: it, what depends on it, and steps canceled with the run, start over. */
    public void retryStep(String stepId) throws SQLException {
        StepRun st = Rows.step(c, run.id(), stepId).orElseThrow(() -> ApiError.notFound("step", stepId));
        if (!st.status().equals("failed")) {
            throw ApiError.conflict("not_failed", "step '" + stepId + "' is " + st.status() + "; only a failed step "
                    + "can be retried", Map.of("status", st.status()));
        }
        if (compensating || status.equals("canceled")) {
            throw ApiError.conflict("illegal_transition", "the workflow run is " + (compensating ? "compensating" : status)
                    + "; its steps cannot be retried", Map.of("status", status));
        }
        List<StepRun> all = Rows.steps(c, run.id());
        if (all.stream().anyMatch(StepRun::compensated)) {
            throw ApiError.conflict("compensated", "the workflow run was compensated; trigger a new run instead",
                    Map.of());
        }
        RetryPlan plan = RetryPlan.of(g, all, stepId);
        for (var e : plan.reset().entrySet()) {
            Rows.update(c, "reset_step", e.getValue().depsDone(), e.getValue().depsBlocked(), run.id(), e.getKey());
        }
        // steps_left grows by the steps that had settled; reset steps that were still pending were never counted off
        Rows.update(c, "reopen_run", plan.settledBefore(), run.id());
        status = "running";
        stepsLeft += plan.settledBefore();
        decide(stepId, "retried_by_operator", "retried by an operator; " + plan.reset().size()
                + " step(s) start over: " + plan.reset().keySet(), null);
        for (var e : plan.reset().entrySet()) {
            if (e.getValue().ready()) {
                String id = e.getKey();
                boolean blocked = e.getValue().depsBlocked() > 0;
                work.add(() -> ready(id, blocked));
            }
        }
    }

    // ------------------------------------------------------------------------------- context

    static Collection<String> pathsOf(StepSpec s) {
        List<String> paths = new ArrayList<>(Template.paths(s.payload()));
        if (s.eventKey() != null) {
            paths.addAll(Template.pathsIn(s.eventKey()));
        }
        if (s.concurrencyKey() != null) {
            paths.addAll(Template.pathsIn(s.concurrencyKey()));
        }
        return paths;
    }

    Template.Context context(Collection<String> paths, String alsoStep) throws SQLException {
        Set<String> ids = new LinkedHashSet<>();
        for (String p : paths) {
            String s = Template.stepOf(p);
            if (s != null) {
                ids.add(s);
            }
        }
        if (alsoStep != null) {
            ids.add(alsoStep);
        }
        return new Template.Context(Json.read(run.input()), ids.isEmpty() ? Map.of() : states(ids),
                run.id().toString());
    }

    private Map<String, Template.StepState> states(Collection<String> ids) throws SQLException {
        Map<String, Template.StepState> out = new HashMap<>();
        try (PreparedStatement ps = Rows.prepare(c, "step_states", run.id(), ids.toArray(String[]::new));
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.put(rs.getString(1), new Template.StepState(rs.getString(2), Json.read(rs.getString(3))));
            }
        }
        return out;
    }

    static ObjectNode error(String type, String message) {
        return Json.object().put("type", type).put("message", message);
    }

    void decide(String stepId, String decision, String message, JsonNode details) {
        decisions.add(new Object[] {stepId, decision, message, details == null ? null : Json.write(details)});
    }

    private void flushDecisions() throws SQLException {
        if (decisions.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement(Rows.SQL.get("decide"))) {
            for (Object[] d : decisions) {
                ps.setObject(1, run.projectId());
                ps.setObject(2, run.id());
                ps.setString(3, (String) d[0]);
                ps.setString(4, (String) d[1]);
                ps.setString(5, (String) d[2]);
                ps.setString(6, (String) d[3]);
                ps.addBatch();
            }
            ps.executeBatch();
        }
        decisions.clear();
    }
}
