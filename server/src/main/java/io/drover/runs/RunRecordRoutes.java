package io.drover.runs;

import static io.drover.http.Route.get;
import static io.drover.http.Route.post;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.access.Role;
import io.drover.http.ApiError;
import io.drover.http.Call;
import io.drover.http.Input;
import io.drover.http.Json;
import io.drover.http.Page;
import io.drover.http.Reply;
import io.drover.http.Route;
import io.drover.redact.Outlets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * What a run's worker records besides its outcome: {@code POST /v1/runs/{id}/checkpoints} and
 * {@code POST|GET /v1/runs/{id}/tool-calls}. Writes are the holder's (409 {@code not_held} for any
 * other worker, as a completion is); tool calls are listed oldest first, redacted for viewers as a
 * run's payload is.
 */
public final class RunRecordRoutes {
    /** The largest checkpoint state, as JSON text: a claim carries it with every later attempt. */
    public static final int MAX_STATE_BYTES = 256 * 1024;
    /** The largest tool-call input, output or error, each as JSON text. */
    public static final int MAX_TOOL_FIELD_BYTES = 256 * 1024;
    private static final Pattern WORKER_ID = Pattern.compile("[\\x21-\\x7E]{1,200}");

    private final RunStore runs;
    private final Outlets outlets;

    public RunRecordRoutes(RunStore runs, Outlets outlets) {
        this.runs = runs;
        this.outlets = outlets;
    }

    public List<Route> routes() {
        return List.of(
                post("/v1/runs/{id}/checkpoints", Role.OPERATOR,
                        "Save a checkpoint of a held run (a later attempt's claim carries the latest)", this::checkpoint),
                post("/v1/runs/{id}/tool-calls", Role.OPERATOR, "Record a tool call of a held run", this::recordToolCall),
                get("/v1/runs/{id}/tool-calls", Role.VIEWER, "A run's tool calls, in order", this::toolCalls));
    }

    private Reply checkpoint(Call c) {
        UUID id = c.pathUuid("id", "run");
        Input in = Input.body(c.body(), false);
        in.allowOnly(Set.of("worker_id", "state"));
        String worker = workerId(in);
        if (!in.raw().has("state")) {
            throw ApiError.invalid("state", "is required: the JSON value to save (null is allowed)");
        }
        String state = sized(in.raw().get("state"), "state", MAX_STATE_BYTES);
        RunStore.Checkpoint cp = runs.checkpoint(c.projectId(), id, worker, state);
        return Reply.created(cp.toJson().put("run_id", id.toString()));
    }

    private Reply recordToolCall(Call c) {
        UUID id = c.pathUuid("id", "run");
        Input in = Input.body(c.body(), false);
        in.allowOnly(Set.of("worker_id", "name", "input", "output", "error", "duration_ms"));
        String worker = workerId(in);
        String name = in.requiredNonBlank("name", 200);
        Long duration = in.longValue("duration_ms", null, 0, 30L * 24 * 3600 * 1000);
        RunStore.NewToolCall call = new RunStore.NewToolCall(name, optional(in, "input"), optional(in, "output"),
                optional(in, "error"), duration);
        return Reply.created(runs.recordToolCall(c.projectId(), id, worker, call).toJson());
    }

    private Reply toolCalls(Call c) {
        UUID id = c.pathUuid("id", "run");
        int limit = Page.limit(c.query("limit"));
        List<RunStore.ToolCall> rows = runs.toolCalls(c.projectId(), id, Page.decode(c.query("cursor")), limit + 1);
        Page<RunStore.ToolCall> page = Page.of(rows, limit, RunStore.ToolCall::id);
        return Reply.ok(page.toJson(t -> outlets.toolCall(c.principal(), t.toJson())));
    }

    /** A JSON field given and not null, as text within the size limit; null when absent or null. */
    private static String optional(Input in, String field) {
        JsonNode v = in.raw().get(field);
        return v == null || v.isNull() ? null : sized(v, field, MAX_TOOL_FIELD_BYTES);
    }

    private static String sized(JsonNode value, String field, int max) {
        String json = Json.write(value);
        if (json.length() > max) { // chars <= UTF-8 bytes: a cheap first check, then the exact size
            throw tooLarge(field, max);
        }
        if (json.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > max) {
            throw tooLarge(field, max);
        }
        return json;
    }

    private static ApiError tooLarge(String field, int max) {
        return new ApiError(413, "value_too_large", field + " is larger than " + max + " bytes of JSON",
                Map.of("field", field, "max_bytes", max));
    }

    private static String workerId(Input in) {
        String id = in.requiredString("worker_id", 200);
        if (!WORKER_ID.matcher(id).matches()) {
            throw ApiError.invalid("worker_id", "must be 1..200 printable ASCII characters without spaces");
        }
        return id;
    }
}
