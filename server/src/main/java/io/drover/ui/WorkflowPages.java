package io.drover.ui;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.access.Role;
import io.drover.http.Json;
import io.drover.http.Page;
import io.drover.workflows.Graph;
import io.drover.workflows.Workflow;
import io.drover.workflows.WorkflowRun;
import io.drover.workflows.WorkflowRuns;
import io.drover.workflows.WorkflowStore;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Workflows and their runs: the definitions, the newest runs (keyset pages), and a run's page with
 * its DAG drawn as SVG on the server (each step's state, live), the explain log, and approve/reject
 * for a waiting approval step (operators).
 */
public final class WorkflowPages {
    private final WorkflowStore workflows;
    private final WorkflowRuns runs;

    public WorkflowPages(WorkflowStore workflows, WorkflowRuns runs) {
        this.workflows = workflows;
        this.runs = runs;
    }

    public List<UiRoute> routes() {
        return List.of(
                UiRoute.page("/ui/workflows", "Workflows", c -> {
                    Page<Workflow> defs = workflows.list(c.projectId(), null, Page.MAX_LIMIT);
                    Page<WorkflowRun> recent = runs.list(c.projectId(), null, null, Page.decode(c.query("cursor")),
                            RunPages.PAGE);
                    c.live("/v1/stream?types=workflow_run.*");
                    return View.page("workflows.jte", new WorkflowList(defs.data(), recent.data(),
                            recent.nextCursor()));
                }),
                UiRoute.get("/ui/workflow-runs/{id}", Role.VIEWER, c -> View.page("workflow_run.jte", detail(c))),
                UiRoute.get("/ui/workflow-runs/{id}/live", Role.VIEWER,
                        c -> View.fragment("workflow_run_body.jte", detail(c))),
                UiRoute.post("/ui/workflow-runs/{id}/steps/{step}/approve", Role.OPERATOR, c -> resolve(c, true)),
                UiRoute.post("/ui/workflow-runs/{id}/steps/{step}/reject", Role.OPERATOR, c -> resolve(c, false)));
    }

    public record WorkflowList(List<Workflow> workflows, List<WorkflowRun> runs, String nextCursor)
            implements DashboardRoutes.Titled {
        @Override
        public String title() {
            return "Workflows";
        }
    }

    public record Step(String id, String type, String status, String runId, String attempt, String skipReason) {}

    public record RunDetail(WorkflowRun run, Dag dag, List<Step> steps, ObjectNode explain, boolean canAct)
            implements DashboardRoutes.Titled {
        @Override
        public String title() {
            return "Workflow run " + Fmt.shortId(run.id());
        }
    }

    RunDetail detail(UiCall c) {
        UUID id = c.pathUuid("id", "workflow run");
        WorkflowRun run = runs.run(c.projectId(), id);
        ObjectNode json = runs.json(c.projectId(), id);
        Graph graph = workflows.graph(run.workflowId(), run.version());
        Map<String, String> status = new HashMap<>();
        Map<String, String> href = new HashMap<>();
        List<Step> steps = new ArrayList<>();
        for (JsonNode s : json.path("steps")) {
            String step = s.path("step_id").asText();
            status.put(step, s.path("status").asText());
            String runId = s.hasNonNull("run_id") ? s.get("run_id").asText()
                    : s.hasNonNull("child_run_id") ? s.get("child_run_id").asText() : null;
            if (s.hasNonNull("run_id")) {
                href.put(step, "/ui/runs/" + runId);
            } else if (s.hasNonNull("child_run_id")) {
                href.put(step, "/ui/workflow-runs/" + runId);
            }
            steps.add(new Step(step, s.path("type").asText(), s.path("status").asText(), runId,
                    s.path("attempt").asText(), Fmt.text(s, "skip_reason")));
        }
        ObjectNode explain;
        try {
            explain = runs.explain(c.projectId(), id);
        } catch (RuntimeException e) {
            explain = Json.object();
        }
        c.live("/v1/stream?types=workflow_run.*,workflow_step.*,approval.*");
        return new RunDetail(run, Dag.of(graph.spec().steps(), status, href), steps, explain, c.can(Role.OPERATOR));
    }

    private View resolve(UiCall c, boolean approve) {
        UUID id = c.pathUuid("id", "workflow run");
        String step = c.path("step");
        String comment = c.form("comment");
        if (comment != null && comment.length() > 2000) {
            throw new io.drover.errors.Invalid("comment", "must be at most 2000 characters");
        }
        String by = c.principal().isUser() ? "user:" + c.principal().userId() : "key:" + c.principal().keyId();
        runs.act(c.projectId(), id, approve ? "workflow_run.step_approve" : "workflow_run.step_reject",
                Json.object().put("step", step).put("comment", comment),
                a -> a.resolveApproval(step, approve, comment, by));
        return View.redirect("/ui/workflow-runs/" + id);
    }
}
