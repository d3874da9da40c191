package io.drover.workflows;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.http.Json;
import io.drover.jobs.Job;
import io.drover.runs.Run;
import io.drover.runs.RunStatus;
import io.drover.runs.RunStore;
import io.drover.runs.TriggerRequest;
import io.drover.store.Query;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * A failed step with {@code on_failure: compensate}, within an {@link Advance}: the steps not yet
 * settled are canceled, then the {@code compensate} jobs of the completed steps run one at a time,
 * most recently settled first, and the run fails with the original error. The queue lives in the
 * run's row ({@code compensation_queue}), so a restart goes on where it stopped; a compensation
 * run is an ordinary run of its job whose step id ends with {@link #COMPENSATE}.
 */
final class Compensation {
    static final String COMPENSATE = "#compensate";

    private final Advance a;
    private final Engine e;
    private final Connection c;
    private final WorkflowRun run;
    private final Graph g;
    private List<String> compQueue;

    Compensation(Advance a) {
        this.a = a;
        this.e = a.e;
        this.c = a.c;
        this.run = a.run;
        this.g = a.g;
        this.compQueue = new ArrayList<>(run.compensationQueue());
    }

    /** Whether a settled job run is a compensation run, rather than a step's. */
    static boolean isCompensation(String stepId) {
        return stepId.endsWith(COMPENSATE);
    }

    void compensate(String failedId, JsonNode err) throws SQLException {
        a.startCompensating();
        a.end.cancelActive("step '" + failedId + "' failed and its on_failure is compensate");
        String[] withCompensation = g.spec().steps().stream().filter(s -> s.compensate() != null).map(StepSpec::id)
                .toArray(String[]::new);
        List<String> queue = new ArrayList<>();
        try (Query q = Rows.prepare(c, "compensable_steps", p -> p.set("workflow_run_id", run.id())
                .setArray("step_ids", "text", withCompensation)); ResultSet rs = q.query()) {
            while (rs.next()) {
                queue.add(rs.getString(1));
            }
        }
        Rows.update(c, "start_compensation", q -> q.setArray("queue", "text", queue.toArray(String[]::new))
                .set("error", Json.write(RunEnd.runError(failedId, err))).set("id", run.id()));
        compQueue = queue;
        a.decide(null, "compensating", "step '" + failedId + "' failed with on_failure=compensate: compensating "
                + queue.size() + " completed step(s) in reverse order: " + queue, null);
        nextCompensation();
    }

    private void nextCompensation() throws SQLException {
        while (!compQueue.isEmpty()) {
            String id = compQueue.remove(0);
            Rows.update(c, "pop_compensation", q -> q.set("id", run.id()));
            StepSpec s = g.step(id);
            Optional<Job> job = e.jobs.find(c, run.projectId(), s.compensate().job(), false);
            if (job.isEmpty()) {
                a.decide(id, "compensation_failed", "compensation job '" + s.compensate().job() + "' no longer exists",
                        null);
                continue;
            }
            List<String> paths = new ArrayList<>(Template.paths(s.compensate().payload()));
            JsonNode payload = Template.render(s.compensate().payload(), a.context(paths, id));
            TriggerRequest req = new TriggerRequest(payload == null ? Json.MAPPER.nullNode() : payload,
                    Json.object().put("workflow_run_id", run.id().toString()).put("step_id", id + COMPENSATE), null,
                    null, null, null, null);
            Run r = e.runs.triggerIn(c, job.get(), List.of(req), RunStore.Origin.API,
                    new RunStore.StepLink(run.id(), List.of(id + COMPENSATE))).runs().get(0);
            a.decide(id, "compensating", "compensating: run " + r.id() + " of job '" + s.compensate().job() + "'",
                    Json.object().put("run_id", r.id().toString()));
            return;
        }
        String error = currentError();
        a.end.finish(WorkflowRunStatus.FAILED, null, error, null, "run failed after compensation finished");
    }

    private String currentError() throws SQLException {
        return Rows.lock(c, run.id()).orElseThrow().error();
    }

    /** A compensation run settled: the next one starts, or the run fails when none is left. */
    void compensationDone(String runStepId, UUID runId, RunStatus runStatus) throws SQLException {
        String stepId = runStepId.substring(0, runStepId.length() - COMPENSATE.length());
        if (!a.isCompensating()) {
            return;
        }
        if (runStatus == RunStatus.COMPLETED) {
            Rows.update(c, "step_compensated", q -> q.set("workflow_run_id", run.id()).set("step_id", stepId));
            a.decide(stepId, "compensated", "compensated: run " + runId + " completed", null);
        } else {
            a.decide(stepId, "compensation_failed", "compensation run " + runId + " ended " + runStatus.db()
                    + "; going on with the next one", null);
        }
        nextCompensation();
    }
}
