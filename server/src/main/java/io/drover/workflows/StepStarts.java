package io.drover.workflows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.events.Approvals;
import io.drover.events.EventWaits;
import io.drover.http.Json;
import io.drover.jobs.Job;
import io.drover.runs.Run;
import io.drover.runs.RunStore;
import io.drover.runs.TriggerRequest;
import io.drover.store.Query;
import io.drover.store.UuidV7;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Starting a ready step, per type, within an {@link Advance}: the concurrency key check, then a
 * job run (collected and triggered together at the end of the pass, one insert per job), an
 * approval row, an event wait (or the event already sent), a sleep, or a child workflow run.
 */
final class StepStarts {
    private final Advance a;
    private final Engine e;
    private final Connection c;
    private final WorkflowRun run;
    private final List<JobStart> jobStarts = new ArrayList<>();
    /** The jobs of job steps started in this pass, by slug. */
    private final Map<String, Optional<Job>> jobs = new HashMap<>();

    private record JobStart(StepSpec step, Job job, JsonNode payload, String key, int attempt, long delayMs) {}

    StepStarts(Advance a) {
        this.a = a;
        this.e = a.e;
        this.c = a.c;
        this.run = a.run;
    }

    boolean pending() {
        return !jobStarts.isEmpty();
    }

    void start(String id, boolean unblocked) throws SQLException {
        StepSpec s = a.g.step(id);
        Template.Context ctx = a.context(Advance.pathsOf(s), null);
        String key = Template.renderText(s.concurrencyKey(), ctx);
        if (key != null && !key.isEmpty()) {
            String k = key;
            try (Query q = Rows.prepare(c, "lock_key",
                    p -> p.set("project", run.projectId().toString()).set("concurrency_key", k))) {
                q.execute(); // serializes starts on one key, so two steps never both see it free
            }
            if (keyHeld(key)) {
                Rows.update(c, "step_block",
                        q -> q.set("concurrency_key", k).set("workflow_run_id", run.id()).set("step_id", id));
                a.decide(id, "blocked_by_concurrency_key", "ready, but waiting: concurrency key '" + key
                        + "' is held by another running step", Json.object().put("concurrency_key", key));
                return;
            }
            if (unblocked) {
                a.decide(id, "unblocked", "concurrency key '" + key + "' is free again", null);
            }
        } else {
            key = null;
        }
        switch (s.type()) {
            case "job" -> startJob(s, ctx, key, 1, 0);
            case "approval" -> startApproval(s, ctx, key);
            case "wait_for_event" -> startEventWait(s, ctx, key);
            case "sleep" -> startSleep(s, key);
            default -> startSubWorkflow(s, ctx, key);
        }
    }

    private boolean keyHeld(String key) throws SQLException {
        try (Query q = Rows.prepare(c, "key_held",
                p -> p.set("project_id", run.projectId()).set("concurrency_key", key)); ResultSet rs = q.query()) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    // --------------------------------------------------------------------------- starting steps

    void startJob(StepSpec s, Template.Context ctx, String key, int attempt, long delayMs) throws SQLException {
        Optional<Job> job = jobs.get(s.job());
        if (job == null) { // read once per pass: a 400-wide fan-out of one job is one read, not 400
            job = e.jobs.find(c, run.projectId(), s.job(), false);
            jobs.put(s.job(), job);
        }
        if (job.isEmpty()) {
            a.settleFailed(s.id(), Advance.error("job_missing", "job '" + s.job() + "' no longer exists"));
            return;
        }
        jobStarts.add(new JobStart(s, job.get(), Template.render(s.payload(), ctx), key, attempt, delayMs));
    }

    /** Triggers the job steps started in this pass: one insert per job, whatever the fan-out. */
    void flushJobs() throws SQLException {
        if (jobStarts.isEmpty()) {
            return;
        }
        List<JobStart> starts = List.copyOf(jobStarts);
        jobStarts.clear();
        if (!a.active()) {
            return;
        }
        Map<UUID, List<JobStart>> byJob = new LinkedHashMap<>();
        starts.forEach(j -> byJob.computeIfAbsent(j.job().id(), k -> new ArrayList<>()).add(j));
        List<StatusWrites.JobStepStart> started = new ArrayList<>();
        for (List<JobStart> group : byJob.values()) {
            List<TriggerRequest> reqs = new ArrayList<>();
            for (JobStart j : group) {
                ObjectNode meta = Json.object().put("workflow_run_id", run.id().toString())
                        .put("step_id", j.step().id());
                reqs.add(new TriggerRequest(j.payload() == null ? Json.MAPPER.nullNode() : j.payload(), meta, null,
                        j.delayMs() > 0 ? j.delayMs() : null, null, null, null));
            }
            List<Run> made = e.runs.triggerIn(c, group.get(0).job(), reqs, RunStore.Origin.API,
                    new RunStore.StepLink(run.id(), group.stream().map(j -> j.step().id()).toList())).runs();
            for (int i = 0; i < group.size(); i++) {
                JobStart j = group.get(i);
                Run r = made.get(i);
                started.add(new StatusWrites.JobStepStart(j.step().id(), j.attempt(), r.id(), j.key(),
                        due(j.step().timeoutSecs())));
                if (j.attempt() == 1) {
                    a.decide(j.step().id(), "started", "started: run " + r.id() + " of job '" + j.job().spec().slug()
                            + "'", Json.object().put("run_id", r.id().toString()));
                } else {
                    a.decide(j.step().id(), "retried", "retried: attempt " + j.attempt() + " of "
                            + j.step().maxAttempts() + " is run " + r.id()
                            + (j.delayMs() > 0 ? " after " + j.delayMs() + " ms" : ""),
                            Json.object().put("run_id", r.id().toString()).put("attempt", j.attempt()));
                }
            }
        }
        StatusWrites.startJobSteps(c, run.id(), started);
    }

    private void markStarted(String id, StepStatus status, int attempt, UUID runId, UUID childId, String key,
            Instant due) throws SQLException {
        StatusWrites.step(c, run.id(), id, status, "step_start", q -> q.set("attempt", attempt).set("run_id", runId)
                .set("child_run_id", childId).set("concurrency_key", key).set("due_at", due));
    }

    private Instant due(Integer secs) {
        return secs == null ? null : e.clock.instant().plusSeconds(secs);
    }

    private void startApproval(StepSpec s, Template.Context ctx, String key) throws SQLException {
        Integer secs = s.expiresInSecs() != null ? s.expiresInSecs() : s.timeoutSecs();
        Instant expires = due(secs);
        JsonNode details = Template.render(s.payload(), ctx);
        Approvals.insert(c, run.projectId(), run.id(), s.id(), "approve step '" + s.id() + "' of workflow '"
                + run.workflowSlug() + "'", details == null ? null : Json.write(details), "medium", null, expires);
        markStarted(s.id(), StepStatus.WAITING, 1, null, null, key, expires);
        a.decide(s.id(), "waiting_for_approval", "waiting for an operator to approve or reject"
                + (expires == null ? "" : "; expires at " + expires), null);
    }

    private void startEventWait(StepSpec s, Template.Context ctx, String key) throws SQLException {
        String eventKey = Template.renderText(s.eventKey(), ctx);
        Instant expires = due(s.timeoutSecs());
        markStarted(s.id(), StepStatus.WAITING, 1, null, null, key, expires);
        Optional<String> sent = EventWaits.sent(c, run.projectId(), eventKey);
        if (sent.isPresent()) {
            a.settle(s.id(), StepStatus.COMPLETED, sent.get(), null, null, "event_received",
                    "event '" + eventKey + "' had already been sent; its payload is the step's output");
            return;
        }
        EventWaits.wait(c, run.projectId(), eventKey, run.id(), s.id(), expires);
        a.decide(s.id(), "waiting_for_event", "waiting for event '" + eventKey + "'"
                + (expires == null ? "" : " until " + expires), Json.object().put("event_key", eventKey));
    }

    private void startSleep(StepSpec s, String key) throws SQLException {
        Instant until = s.until() != null ? s.until() : e.clock.instant().plusSeconds(s.durationSecs());
        if (!until.isAfter(e.clock.instant())) {
            markStarted(s.id(), StepStatus.RUNNING, 1, null, null, key, null);
            a.settle(s.id(), StepStatus.COMPLETED, Json.write(Json.object().put("slept_until", until.toString())), null,
                    null, "woke", "sleep ended at once: " + until + " has passed");
            return;
        }
        markStarted(s.id(), StepStatus.WAITING, 1, null, null, key, until);
        a.decide(s.id(), "sleeping", "sleeping until " + until, null);
    }

    private void startSubWorkflow(StepSpec s, Template.Context ctx, String key) throws SQLException {
        if (run.depth() + 1 > Engine.MAX_SUBWORKFLOW_DEPTH) {
            markStarted(s.id(), StepStatus.RUNNING, 1, null, null, key, null);
            a.settleFailed(s.id(), Advance.error("max_depth", "sub-workflows nest at most " + Engine.MAX_SUBWORKFLOW_DEPTH
                    + " deep; this one would be at depth " + (run.depth() + 1)));
            return;
        }
        Optional<Workflow> wf = e.workflows.find(c, run.projectId(), s.workflow());
        if (wf.isEmpty()) {
            markStarted(s.id(), StepStatus.RUNNING, 1, null, null, key, null);
            a.settleFailed(s.id(), Advance.error("workflow_missing", "workflow '" + s.workflow() + "' no longer exists"));
            return;
        }
        UUID childId = UuidV7.next();
        markStarted(s.id(), StepStatus.RUNNING, 1, null, childId, key, due(s.timeoutSecs()));
        a.decide(s.id(), "sub_workflow_started", "started sub-workflow run " + childId + " of '" + s.workflow()
                + "' version " + wf.get().version(), Json.object().put("child_run_id", childId.toString()));
        JsonNode input = Template.render(s.payload(), ctx);
        e.trigger(c, wf.get(), input == null ? Json.object() : input, null, childId, run.id(), s.id(), run.depth() + 1);
    }
}
