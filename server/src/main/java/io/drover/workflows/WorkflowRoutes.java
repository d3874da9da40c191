package io.drover.workflows;

import static io.drover.http.Route.delete;
import static io.drover.http.Route.get;
import static io.drover.http.Route.patch;
import static io.drover.http.Route.post;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.access.Role;
import io.drover.http.ApiError;
import io.drover.http.Call;
import io.drover.http.Input;
import io.drover.http.Json;
import io.drover.http.Page;
import io.drover.http.Reply;
import io.drover.http.Route;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/** /v1/workflows (definitions and versions) and /v1/workflow-runs (runs, operator actions, explain). */
public final class WorkflowRoutes {
    private final WorkflowStore workflows;
    private final WorkflowRuns runs;

    public WorkflowRoutes(WorkflowStore workflows, WorkflowRuns runs) {
        this.workflows = workflows;
        this.runs = runs;
    }

    public List<Route> routes() {
        return List.of(
                post("/v1/workflows", Role.ADMIN, "Create a workflow (version 1)",
                        c -> Reply.created(workflows.create(c.projectId(), WorkflowSpec.parse(c.body())).toJson())),
                post("/v1/workflows/validate", Role.VIEWER,
                        "Check a definition without storing it; answers it as it would be stored (for diff)",
                        c -> Reply.ok(WorkflowSpec.parse(c.body()).toJson())),
                get("/v1/workflows", Role.VIEWER, "List workflows", this::list),
                get("/v1/workflows/{wf}", Role.VIEWER, "Get a workflow's current version",
                        c -> Reply.ok(workflows.get(c.projectId(), c.path("wf")).toJson())),
                patch("/v1/workflows/{wf}", Role.ADMIN, "Change a workflow (makes a new version)",
                        c -> Reply.ok(workflows.update(c.projectId(), c.path("wf"), c.body()).toJson())),
                delete("/v1/workflows/{wf}", Role.ADMIN, "Delete a workflow (its runs are kept)", this::remove),
                get("/v1/workflows/{wf}/versions", Role.VIEWER, "List a workflow's versions", this::versions),
                post("/v1/workflows/{wf}/trigger", Role.OPERATOR, "Start a workflow run", this::trigger),
                get("/v1/workflow-runs", Role.VIEWER, "List workflow runs (filters: workflow, status)", this::listRuns),
                get("/v1/workflow-runs/{id}", Role.VIEWER, "Get a workflow run with its steps",
                        c -> Reply.ok(runs.json(c.projectId(), id(c)))),
                post("/v1/workflow-runs/{id}/cancel", Role.OPERATOR, "Cancel a workflow run, its steps and sub-workflows",
                        c -> {
                            noFields(c);
                            return Reply.ok(runs.act(c.projectId(), id(c), "workflow_run.cancel", Json.object(),
                                    a -> a.cancelRun("canceled by request", true)));
                        }),
                post("/v1/workflow-runs/{id}/steps/{step}/approve", Role.OPERATOR, "Approve a waiting approval step",
                        c -> approval(c, true)),
                post("/v1/workflow-runs/{id}/steps/{step}/reject", Role.OPERATOR, "Reject a waiting approval step",
                        c -> approval(c, false)),
                post("/v1/workflow-runs/{id}/steps/{step}/retry", Role.OPERATOR,
                        "Retry a failed step and the steps that depend on it",
                        c -> {
                            noFields(c);
                            return Reply.ok(runs.act(c.projectId(), id(c), "workflow_run.step_retry",
                                    Json.object().put("step", c.path("step")), a -> a.retryStep(c.path("step"))));
                        }),
                get("/v1/workflow-runs/{id}/explain", Role.VIEWER, "Why the run is where it is, step by step",
                        c -> Reply.ok(runs.explain(c.projectId(), id(c)))));
    }

    /** Bodies of actions without options: empty or {}; anything else is refused, not ignored. */
    private static void noFields(Call c) {
        Input.body(c.body(), true).allowOnly(Set.of());
    }

    private static UUID id(Call c) {
        return c.pathUuid("id", "workflow run");
    }

    private Reply list(Call c) {
        Page<Workflow> page = workflows.list(c.projectId(), Page.decode(c.query("cursor")), Page.limit(c.query("limit")));
        return Reply.ok(page.toJson(Workflow::toJson));
    }

    private Reply remove(Call c) {
        ObjectNode json = workflows.delete(c.projectId(), c.path("wf")).toJson();
        json.put("deleted", true);
        return Reply.ok(json);
    }

    private Reply versions(Call c) {
        ObjectNode out = Json.object();
        var arr = out.putArray("data");
        workflows.versions(c.projectId(), c.path("wf")).forEach(w -> arr.add(w.toJson()));
        out.putNull("next_cursor");
        return Reply.ok(out);
    }

    private Reply trigger(Call c) {
        Input in = Input.body(c.body(), true);
        in.allowOnly(Set.of("input", "idempotency_key"));
        String key = in.string("idempotency_key", null, 255);
        if (key != null && key.isEmpty()) {
            throw ApiError.invalid("idempotency_key", "must not be empty");
        }
        JsonNode input = in.get("input");
        Engine.Started s = runs.trigger(c.projectId(), c.path("wf"), input == null ? Json.object() : input, key);
        ObjectNode json = runs.json(c.projectId(), s.run().id());
        return new Reply(s.created() ? 201 : 200, json, "application/json");
    }

    private Reply listRuns(Call c) {
        String status = c.query("status");
        if (status != null && !status.isEmpty() && !WorkflowRunStatus.isFilter(status)) {
            throw new ApiError(400, "invalid_parameter",
                    "status must be pending, running, waiting, completed, failed or canceled",
                    Map.of("parameter", "status"));
        }
        Page<WorkflowRun> page = runs.list(c.projectId(), c.query("workflow"), status == null || status.isEmpty()
                ? null : status, Page.decode(c.query("cursor")), Page.limit(c.query("limit")));
        return Reply.ok(page.toJson(r -> r.toJson(null)));
    }

    private Reply approval(Call c, boolean approve) {
        Input in = Input.body(c.body(), true);
        in.allowOnly(Set.of("comment"));
        String comment = in.string("comment", null, 2000);
        String by = actor(c);
        String step = c.path("step");
        String action = approve ? "workflow_run.step_approve" : "workflow_run.step_reject";
        return Reply.ok(runs.act(c.projectId(), id(c), action, Json.object().put("step", step).put("comment", comment),
                a -> a.resolveApproval(step, approve, comment, by)));
    }

    /** Who resolved an approval, as the approval row records it: a signed-in user or an API key. */
    static String actor(Call c) {
        return c.principal().isUser() ? "user:" + c.principal().userId() : "key:" + c.principal().keyId();
    }
}
