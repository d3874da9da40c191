package io.drover.workflows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.errors.NotFound;
import io.drover.http.Json;
import io.drover.http.Page;
import io.drover.store.Db;
import io.drover.store.Query;
import io.drover.store.UuidV7;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Workflow runs for the API: trigger, read, cancel, approve/reject, retry, explain. */
public final class WorkflowRuns {
    private final Db db;
    private final WorkflowStore workflows;
    private final Engine engine;

    public WorkflowRuns(Db db, WorkflowStore workflows, Engine engine) {
        this.db = db;
        this.workflows = workflows;
        this.engine = engine;
    }

    public Engine.Started trigger(UUID projectId, String idOrSlug, JsonNode input, String idempotencyKey) {
        Workflow wf = workflows.get(projectId, idOrSlug);
        return db.tx(c -> {
            Engine.Started s = engine.trigger(c, wf, input, idempotencyKey, UuidV7.next(), null, null, 0);
            if (s.created()) {
                workflows.audit(c, projectId, "workflow_run.trigger", "workflow_run", s.run().id(), Json.object()
                        .put("workflow", wf.spec().slug()).put("version", wf.version())
                        .put("idempotency_key", idempotencyKey));
            }
            return s;
        });
    }

    public WorkflowRun run(UUID projectId, UUID id) {
        return db.read(c -> Rows.run(c, "get_run", q -> q.set("id", id).set("project_id", projectId)))
                .orElseThrow(() -> new NotFound("workflow run", id.toString()));
    }

    /** The run with its steps, in definition order. */
    public ObjectNode json(UUID projectId, UUID id) {
        WorkflowRun r = run(projectId, id);
        return r.toJson(steps(r));
    }

    List<StepRun> steps(WorkflowRun r) {
        Graph g = workflows.graph(r.workflowId(), r.version());
        Map<String, Integer> order = new HashMap<>();
        for (int i = 0; i < g.spec().steps().size(); i++) {
            order.put(g.spec().steps().get(i).id(), i);
        }
        List<StepRun> steps = new ArrayList<>(db.read(c -> Rows.steps(c, r.id())));
        steps.sort(Comparator.comparing(s -> order.getOrDefault(s.stepId(), Integer.MAX_VALUE)));
        return steps;
    }

    public Page<WorkflowRun> list(UUID projectId, String workflow, String status, UUID cursor, int limit) {
        UUID workflowId = workflow == null || workflow.isEmpty() ? null : workflows.get(projectId, workflow).id();
        return db.read(c -> Page.of(Rows.runs(c, "list_runs", q -> q.set("project_id", projectId)
                .set("workflow_id", workflowId).set("status", status).set("cursor", cursor).set("limit", limit + 1)),
                limit, WorkflowRun::id));
    }

    public ObjectNode act(UUID projectId, UUID id, Engine.Action action) {
        return act(projectId, id, null, null, action);
    }

    /** An operator action, with its audit row ({@code auditAction} and details) in the same transaction. */
    public ObjectNode act(UUID projectId, UUID id, String auditAction, ObjectNode details, Engine.Action action) {
        db.tx(c -> {
            engine.operate(c, projectId, id, action);
            if (auditAction != null) {
                workflows.audit(c, projectId, auditAction, "workflow_run", id, details);
            }
            return null;
        });
        return json(projectId, id);
    }

    /** Why the run is where it is: a sentence per step, from its state and its decision log. */
    public ObjectNode explain(UUID projectId, UUID id) {
        WorkflowRun r = run(projectId, id);
        List<StepRun> steps = steps(r);
        Map<String, List<ObjectNode>> byStep = new HashMap<>();
        List<ObjectNode> runLevel = new ArrayList<>();
        db.read(c -> {
            try (Query q = Rows.prepare(c, "decisions", p -> p.set("workflow_run_id", r.id()));
                    ResultSet rs = q.query()) {
                while (rs.next()) {
                    ObjectNode d = Json.object().put("decision", rs.getString(2)).put("message", rs.getString(3))
                            .put("at", rs.getTimestamp(5).toInstant().toString());
                    if (rs.getString(4) != null) {
                        d.set("details", Json.read(rs.getString(4)));
                    }
                    if (rs.getString(1) == null) {
                        runLevel.add(d);
                    } else {
                        d.put("step_id", rs.getString(1));
                        byStep.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(d);
                    }
                }
            }
            return null;
        });
        Graph g = workflows.graph(r.workflowId(), r.version());
        ObjectNode out = Json.object();
        out.put("workflow_run_id", r.id().toString());
        out.put("status", r.toJson(steps).get("status").asText());
        out.put("summary", Explain.summary(r, steps));
        var runArr = out.putArray("run_decisions");
        runLevel.forEach(runArr::add);
        var arr = out.putArray("steps");
        for (StepRun s : steps) {
            List<ObjectNode> ds = byStep.getOrDefault(s.stepId(), List.of());
            ObjectNode n = Json.object().put("step_id", s.stepId()).put("type", s.type()).put("status", s.status().db());
            n.put("explanation", Explain.step(s, g.step(s.stepId()), ds));
            var da = n.putArray("decisions");
            ds.forEach(da::add);
            arr.add(n);
        }
        return out;
    }
}
