package io.drover.client;

import static io.drover.client.Paths.query;
import static io.drover.client.Paths.seg;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Workflows and their runs: define one from code, trigger it, and await its output. Get one with
 * {@link DroverClient#workflows()}.
 *
 * <pre>{@code
 * client.workflows().define(Map.of("slug", "onboard", "steps", List.of(
 *         Map.of("id", "welcome", "type", "job", "job", "send-email"))));
 * WorkflowRun run = client.workflows().trigger("onboard", Map.of("user", 42), null);
 * Receipt r = client.workflows().awaitOutput(run.id(), Receipt.class, Duration.ofMinutes(1));
 * }</pre>
 */
public final class Workflows {

    /** The fields of a definition that {@link #define} compares and sends. */
    private static final List<String> FIELDS = List.of("slug", "name", "description", "steps", "policy", "output");

    private final DroverClient client;
    private final HttpApi api;

    Workflows(DroverClient client, HttpApi api) {
        this.client = client;
        this.api = api;
    }

    /**
     * Creates a workflow, or updates it when its definition (as the server normalizes it) differs
     * from the stored one; an unchanged definition makes no new version. The server checks the
     * definition first (unknown jobs, cycles...) and answers 422 when it is wrong.
     *
     * @param definition a Map, a JsonNode or a record with the fields of {@code POST /v1/workflows}
     * @return the stored workflow as the server answers it
     */
    public JsonNode define(Object definition) {
        JsonNode wanted = client.send("POST", "/v1/workflows/validate", Objects.requireNonNull(definition, "definition"));
        String slug = wanted.path("slug").asText();
        JsonNode current;
        try {
            current = get(slug);
        } catch (DroverApiException e) {
            if (e.httpStatus() != 404) {
                throw e;
            }
            return client.send("POST", "/v1/workflows", body(wanted));
        }
        boolean same = true;
        for (String f : FIELDS) {
            JsonNode a = current.get(f);
            JsonNode b = wanted.get(f);
            boolean aNull = a == null || a.isNull();
            boolean bNull = b == null || b.isNull();
            if (aNull != bNull || (!aNull && !a.equals(b))) {
                same = false;
            }
        }
        return same ? current : client.send("PATCH", "/v1/workflows/" + seg(slug), body(wanted));
    }

    private static ObjectNode body(JsonNode wanted) {
        ObjectNode b = ((ObjectNode) wanted).objectNode();
        for (String f : FIELDS) {
            b.set(f, wanted.has(f) ? wanted.get(f) : b.nullNode());
        }
        return b;
    }

    /** Gets a workflow by id or slug. */
    public JsonNode get(String idOrSlug) {
        return client.send("GET", "/v1/workflows/" + seg(idOrSlug), null);
    }

    /** Lists workflows, one page. */
    public JsonNode list(String cursor, Integer limit) {
        return client.send("GET", "/v1/workflows" + query("cursor", cursor, "limit", limit), null);
    }

    /**
     * Triggers a run of a workflow; a repeated idempotency key returns the first run.
     *
     * @param input the input (any value the payload mapper can write), or null
     * @param idempotencyKey null for none
     */
    public WorkflowRun trigger(String idOrSlug, Object input, String idempotencyKey) {
        Map<String, Object> body = new HashMap<>();
        if (input != null) {
            body.put("input", client.payloadMapper().valueToTree(input));
        }
        if (idempotencyKey != null) {
            body.put("idempotency_key", idempotencyKey);
        }
        return api.read(client.send("POST", "/v1/workflows/" + seg(idOrSlug) + "/trigger", body), WorkflowRun.class);
    }

    /** Gets a workflow run. */
    public WorkflowRun getRun(String workflowRunId) {
        return api.read(client.send("GET", "/v1/workflow-runs/" + seg(workflowRunId), null), WorkflowRun.class);
    }

    /** Lists workflow runs, optionally of one workflow or in one status (null for all). */
    public Page<WorkflowRun> listRuns(String workflow, String status, String cursor) {
        return api.readPage(client.send("GET", "/v1/workflow-runs"
                + query("workflow", workflow, "status", status, "cursor", cursor), null), WorkflowRun.class);
    }

    /** Cancels a workflow run. */
    public WorkflowRun cancelRun(String workflowRunId) {
        return api.read(client.send("POST", "/v1/workflow-runs/" + seg(workflowRunId) + "/cancel", Map.of()),
                WorkflowRun.class);
    }

    /**
     * Waits until a workflow run is completed, failed or canceled, polling it (every 50 ms at
     * first, up to every second).
     *
     * @throws DroverException when it is not over within {@code timeout}
     */
    public WorkflowRun await(String workflowRunId, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long pause = 50;
        while (true) {
            WorkflowRun run = getRun(workflowRunId);
            if (run.isFinished()) {
                return run;
            }
            pause = DroverClient.pauseUntil(deadline, pause, "workflow run " + workflowRunId + " still " + run.status());
        }
    }

    /**
     * Waits for a workflow run like {@link #await} and maps its output to {@code type}.
     *
     * @throws DroverException when it failed or was canceled, or did not end in time
     */
    public <T> T awaitOutput(String workflowRunId, Class<T> type, Duration timeout) {
        WorkflowRun run = await(workflowRunId, timeout);
        if (!"completed".equals(run.status())) {
            throw new DroverException("workflow run " + workflowRunId + " ended " + run.status(), null);
        }
        return client.convert(run.output(), type);
    }
}
