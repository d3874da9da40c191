package io.drover.agents;

import static io.drover.http.Route.delete;
import static io.drover.http.Route.get;
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

/**
 * The operators' side of agents (API.md "Agents and other engines"): {@code /v1/agents} (admins
 * write, viewers read), observed schedules and their pause/resume commands (operators),
 * {@code /v1/tasks} with retry and cancel (operators), and {@code /v1/commands/{id}}.
 */
public final class AgentRoutes {
    public static final Set<String> STATES = Set.of(AgentState.ONLINE, AgentState.DEGRADED, AgentState.OFFLINE,
            AgentState.UNKNOWN);
    public static final Set<String> TASK_STATES = Set.of("pending", "started", "succeeded", "failed", "cancelled",
            "retried", "lost");
    private static final int MAX_LABELS_BYTES = 8 * 1024;

    private final AgentStore agents;
    private final TaskStore tasks;
    private final Commands commands;

    public AgentRoutes(AgentStore agents, TaskStore tasks, Commands commands) {
        this.agents = agents;
        this.tasks = tasks;
        this.commands = commands;
    }

    public List<Route> routes() {
        return List.of(
                post("/v1/agents", Role.ADMIN, "Register an agent {name, labels}; the answer holds its token, once",
                        this::create),
                get("/v1/agents", Role.VIEWER, "List agents, newest first (?state=online|degraded|offline|unknown)",
                        this::list),
                get("/v1/agents/{id}", Role.VIEWER, "Get an agent (never its token)",
                        c -> Reply.ok(agents.get(c.projectId(), id(c)).toJson())),
                delete("/v1/agents/{id}", Role.ADMIN, "Delete an agent: its token stops at once", c -> {
                    agents.delete(c.projectId(), id(c));
                    return Reply.ok(Json.object().put("deleted", true));
                }),
                post("/v1/agents/{id}/rotate-token", Role.ADMIN, "A new token (shown once); the old one stops at once",
                        c -> {
                            UUID id = id(c);
                            Input.body(c.body(), true).allowOnly(Set.of());
                            return Reply.ok(withToken(agents.rotate(c.projectId(), id)));
                        }),
                get("/v1/agents/{id}/schedules", Role.VIEWER, "The schedules an agent observes in its engine",
                        c -> {
                            var rows = tasks.schedules(c.projectId(), id(c));
                            ObjectNode n = Json.object();
                            rows.forEach(n.putArray("data")::add);
                            return Reply.ok(n);
                        }),
                post("/v1/agents/{id}/schedules/{name}/pause", Role.OPERATOR,
                        "Ask the agent to pause an observed schedule (202 with the command)",
                        c -> schedule(c, "pause_schedule")),
                post("/v1/agents/{id}/schedules/{name}/resume", Role.OPERATOR,
                        "Ask the agent to resume an observed schedule (202 with the command)",
                        c -> schedule(c, "resume_schedule")),
                get("/v1/tasks", Role.VIEWER, "Tasks of other engines, newest first (?engine=&state=&agent=&name=)",
                        this::listTasks),
                get("/v1/tasks/{id}", Role.VIEWER, "A task of another engine with its events",
                        c -> Reply.ok(tasks.withEvents(tasks.get(c.projectId(), c.pathUuid("id", "task"))))),
                post("/v1/tasks/{id}/retry", Role.OPERATOR, "Ask the task's agent to retry it (202 with the command)",
                        c -> task(c, "retry")),
                post("/v1/tasks/{id}/cancel", Role.OPERATOR, "Ask the task's agent to cancel it (202 with the command)",
                        c -> task(c, "cancel")),
                get("/v1/commands/{id}", Role.VIEWER, "A command sent to an agent, with its status",
                        c -> Reply.ok(commands.get(c.projectId(), c.pathUuid("id", "command")).toJson())));
    }

    private Reply create(Call c) {
        Input in = Input.body(c.body(), false);
        in.allowOnly(Set.of("name", "labels"));
        String name = in.requiredNonBlank("name", 200);
        ObjectNode labels = in.object("labels");
        if (labels == null) {
            labels = Json.object();
        }
        if (Json.write(labels).length() > MAX_LABELS_BYTES) {
            throw ApiError.invalid("labels", "at most " + MAX_LABELS_BYTES + " bytes of JSON");
        }
        unstorable(c.body());
        return Reply.created(withToken(agents.create(c.projectId(), name, labels)));
    }

    private Reply list(Call c) {
        String state = param(c, "state", STATES);
        int limit = Page.limit(c.query("limit"));
        UUID cursor = Page.decode(c.query("cursor"));
        return Reply.ok(Page.of(agents.list(c.projectId(), state, cursor, limit), limit, Agent::id)
                .toJson(Agent::toJson));
    }

    private Reply listTasks(Call c) {
        String state = param(c, "state", TASK_STATES);
        String engine = text(c, "engine");
        String name = text(c, "name");
        String agentRef = text(c, "agent");
        UUID agentId = null;
        int limit = Page.limit(c.query("limit"));
        UUID cursor = Page.decode(c.query("cursor"));
        if (agentRef != null) {
            Agent a = agents.find(c.projectId(), agentRef);
            if (a == null) {
                return Reply.ok(Json.object().<ObjectNode>set("data", Json.MAPPER.createArrayNode())
                        .putNull("next_cursor"));
            }
            agentId = a.id();
        }
        var rows = tasks.list(c.projectId(), new TaskStore.Filter(engine, state, agentId, name), cursor, limit);
        return Reply.ok(Page.of(rows, limit, Task::id).toJson(Task::toJson));
    }

    private Reply task(Call c, String type) {
        UUID id = c.pathUuid("id", "task");
        Input.body(c.body(), true).allowOnly(Set.of());
        return new Reply(202, commands.forTask(c.projectId(), id, type).toJson(), "application/json");
    }

    private Reply schedule(Call c, String type) {
        UUID id = id(c);
        String name = c.path("name");
        Input.body(c.body(), true).allowOnly(Set.of());
        return new Reply(202, commands.forSchedule(c.projectId(), id, name, type).toJson(), "application/json");
    }

    /** A query parameter that must be one of {@code allowed}; absent or empty is null. */
    static String param(Call c, String name, Set<String> allowed) {
        String v = text(c, name);
        if (v != null && !allowed.contains(v)) {
            throw new ApiError(400, "invalid_parameter", name + " must be one of " + new java.util.TreeSet<>(allowed),
                    Map.of("parameter", name));
        }
        return v;
    }

    /** A free-text query parameter (at most 255 characters); absent or empty is null. */
    static String text(Call c, String name) {
        String v = c.query(name);
        if (v == null || v.isEmpty()) {
            return null;
        }
        if (v.length() > 255 || v.indexOf('\0') >= 0) {
            throw new ApiError(400, "invalid_parameter", name + " must be at most 255 characters, without NUL",
                    Map.of("parameter", name));
        }
        return v;
    }

    static void unstorable(JsonNode body) {
        String bad = Json.unstorablePath(body, "");
        if (bad != null) {
            throw ApiError.invalid(bad, "holds a value PostgreSQL cannot store (a NUL character or an "
                    + "out-of-range number)");
        }
    }

    private static UUID id(Call c) {
        return c.pathUuid("id", "agent");
    }

    private static ObjectNode withToken(AgentStore.Created made) {
        ObjectNode n = made.agent().toJson();
        n.put("token", made.token());
        return n;
    }
}
