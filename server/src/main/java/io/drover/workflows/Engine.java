package io.drover.workflows;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.errors.NotFound;
import io.drover.http.Json;
import io.drover.jobs.JobStore;
import io.drover.runs.RunSettledHook;
import io.drover.runs.RunStatus;
import io.drover.runs.RunStore;
import io.drover.store.Db;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;

/**
 * The workflow engine's entry points. Each one locks the workflow run's row and hands the work to
 * an {@link Advance}, which settles steps, bumps fan-in counters and starts what became ready, all
 * in the caller's transaction: there is no scheduler loop on the hot path. The one exception is
 * time (sleeps, expiries, timeouts), which {@link WorkflowTimers} drives from due times in rows.
 *
 * <p>Runs of job steps settle inside {@link RunStore}; the store calls {@link #settled} in the
 * same transaction. An engine action can cause another one on the same run in the same transaction
 * (canceling a step's job run settles it; a sub-workflow that finishes at once settles its parent's
 * step): a per-thread registry hands such nested calls to the {@link Advance} already in progress.
 */
public final class Engine implements RunSettledHook, io.drover.events.EventDelivered {
    /** Sub-workflows nest at most this deep. */
    public static final int MAX_SUBWORKFLOW_DEPTH = 5;

    final Db db;
    final WorkflowStore workflows;
    final JobStore jobs;
    final RunStore runs;
    /** The node's clock: step timeouts, sleeps and due times are computed from it. */
    final InstantSource clock;
    private final ThreadLocal<Map<UUID, Advance>> active = ThreadLocal.withInitial(HashMap::new);
    private volatile Runnable timerWake = () -> {};

    public Engine(Db db, WorkflowStore workflows, JobStore jobs, RunStore runs) {
        this(db, workflows, jobs, runs, InstantSource.system());
    }

    public Engine(Db db, WorkflowStore workflows, JobStore jobs, RunStore runs, InstantSource clock) {
        this.db = db;
        this.workflows = workflows;
        this.jobs = jobs;
        this.runs = runs;
        this.clock = clock;
    }

    public void setTimerWake(Runnable wake) {
        this.timerWake = wake;
    }

    void wakeTimers() {
        timerWake.run();
    }

    /** Starts a workflow run (or returns the one with the same idempotency key). */
    public record Started(WorkflowRun run, boolean created) {}

    public Started trigger(Connection c, Workflow wf, JsonNode input, String idempotencyKey, UUID id,
            UUID parentRunId, String parentStepId, int depth) throws SQLException {
        Graph g = workflows.graph(c, wf.id(), wf.version());
        Optional<WorkflowRun> inserted = Rows.run(c, "insert_run", q -> q.set("id", id)
                .set("project_id", wf.projectId()).set("workflow_id", wf.id()).set("workflow_slug", wf.spec().slug())
                .set("version", wf.version())
                .set("status", WorkflowRunStatus.INITIAL.db()).set("input", Json.write(input))
                .set("idempotency_key", idempotencyKey).set("parent_run_id", parentRunId)
                .set("parent_step_id", parentStepId).set("depth", depth).set("steps_left", g.spec().steps().size()));
        if (inserted.isEmpty()) {
            return new Started(Rows.run(c, "find_run_by_key",
                    q -> q.set("workflow_id", wf.id()).set("idempotency_key", idempotencyKey)).orElseThrow(), false);
        }
        WorkflowRun run = inserted.get();
        List<StepSpec> steps = g.spec().steps();
        Rows.update(c, "insert_steps", q -> q.set("workflow_run_id", run.id()).set("project_id", run.projectId())
                .set("status", StepStatus.INITIAL.db())
                .setArray("step_ids", "text", steps.stream().map(StepSpec::id).toArray(String[]::new))
                .setArray("types", "text", steps.stream().map(StepSpec::type).toArray(String[]::new))
                .setArray("deps_totals", "int4",
                        steps.stream().map(s -> s.dependsOn().size()).toArray(Integer[]::new)));
        io.drover.eventlog.EventWrites.workflowRun(c, run.id()); // workflow_run.running: it starts in that state
        with(c, run.id(), a -> a.begin());
        return new Started(Rows.lock(c, run.id()).orElseThrow(), true);
    }

    // ---------------------------------------------------------------------------- run settled

    @Override
    public void settled(Connection c, List<Settled> settled) throws SQLException {
        // Lock workflow runs in id order, so that two batches never wait on each other in a circle.
        Map<UUID, List<Settled>> byRun = new TreeMap<>();
        for (Settled s : settled) {
            byRun.computeIfAbsent(s.workflowRunId(), k -> new ArrayList<>()).add(s);
        }
        for (var e : byRun.entrySet()) {
            with(c, e.getKey(), a -> a.runsDone(e.getValue()));
        }
    }

    // ---------------------------------------------------------------------------- entry points

    void childFinished(Connection c, UUID parentRunId, String stepId, UUID childId, WorkflowRunStatus status,
            String output, String error) throws SQLException {
        with(c, parentRunId, a -> a.childDone(stepId, childId, status, output, error));
    }

    void cancelNested(Connection c, UUID runId, String reason) throws SQLException {
        with(c, runId, a -> a.cancelRun(reason, false));
    }

    public void due(Connection c, UUID runId, String stepId) throws SQLException {
        with(c, runId, a -> a.due(stepId));
    }

    public void unblock(Connection c, UUID runId, String stepId) throws SQLException {
        with(c, runId, a -> a.unblock(stepId));
    }

    @Override
    public void eventReceived(Connection c, UUID runId, String stepId, String key, String payload)
            throws SQLException {
        with(c, runId, a -> a.eventReceived(stepId, key, payload));
    }

    /** Operator actions: each checks that the run belongs to the project and answers 404/409 clearly. */
    public void operate(Connection c, UUID projectId, UUID runId, Action action) throws SQLException {
        if (Rows.run(c, "get_run", q -> q.set("id", runId).set("project_id", projectId)).isEmpty()) {
            throw new NotFound("workflow run", runId.toString());
        }
        with(c, runId, action);
    }

    @FunctionalInterface
    public interface Action {
        void apply(Advance a) throws SQLException;
    }

    private void with(Connection c, UUID runId, Action action) throws SQLException {
        Map<UUID, Advance> mine = active.get();
        Advance current = mine.get(runId);
        if (current != null) {
            action.apply(current);
            return;
        }
        Optional<WorkflowRun> run = Rows.lock(c, runId);
        if (run.isEmpty()) {
            return;
        }
        Advance a = new Advance(this, c, run.get(), workflows.graph(c, run.get().workflowId(), run.get().version()));
        mine.put(runId, a);
        try {
            action.apply(a);
            a.drain();
        } finally {
            mine.remove(runId);
        }
    }

    static boolean isSuccess(RunStatus s) {
        return s == RunStatus.COMPLETED;
    }
}
