package io.drover.agents;

import static io.drover.http.Route.get;
import static io.drover.http.Route.post;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.http.ApiError;
import io.drover.http.Call;
import io.drover.http.Input;
import io.drover.http.Json;
import io.drover.http.Reply;
import io.drover.http.Route;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * {@code /v1/agent/*}: what agents call, with {@code Authorization: Bearer <agent token>}. Agent
 * tokens are not API keys: these routes need no API key (the route table lists them as public)
 * and check the agent token themselves, before the body is read. A frame that does not follow the
 * protocol is refused whole (4xx naming the field) and changes nothing.
 */
public final class AgentProtocolRoutes {
    static final Set<String> EVENT_TYPES = Set.of("task_sent", "task_started", "task_succeeded", "task_failed",
            "task_retry", "task_cancelled", "task_expired");
    static final Set<String> SCHEDULE_TYPES = Set.of("cron", "interval", "date");
    /** Events per frame and schedules per frame. */
    public static final int MAX_EVENTS = 1000;
    public static final int MAX_SCHEDULES = 1000;
    /** The longest command long-poll (below the HTTP idle time-out). */
    public static final long MAX_WAIT_MS = 30_000;
    private static final int MAX_METADATA_BYTES = 16 * 1024;

    private final AgentStore agents;
    private final AgentProtocol protocol;
    private final Commands commands;

    public AgentProtocolRoutes(AgentStore agents, AgentProtocol protocol, Commands commands) {
        this.agents = agents;
        this.protocol = protocol;
        this.commands = commands;
    }

    public List<Route> routes() {
        return List.of(
                post("/v1/agent/hello", null, "Agent: connect {protocol_version, framework, engines, schedulers, "
                        + "capabilities, metadata} (agent token, not an API key)", this::hello),
                post("/v1/agent/heartbeat", null, "Agent: heartbeat {error_rate, sample_error, active_tasks, "
                        + "current_task, uptime_secs} -> {state} (agent token)", this::heartbeat),
                post("/v1/agent/events", null, "Agent: task events {events: [{seq, type, ts, task, error, "
                        + "retried_as}]} -> {accepted, duplicates} (agent token)", this::events),
                post("/v1/agent/schedules", null, "Agent: its observed schedules, replaced whole (agent token)",
                        this::schedules),
                get("/v1/agent/commands", null, "Agent: long-poll for commands (?wait_ms=, at most 30000; agent token)",
                        this::poll),
                post("/v1/agent/commands/{id}/ack", null, "Agent: acknowledge a command (agent token)", c -> {
                    AgentStore.Caller a = caller(c);
                    UUID id = c.pathUuid("id", "command");
                    Input.body(c.body(), true).allowOnly(Set.of());
                    return Reply.ok(commands.ack(a.agentId(), id).toJson());
                }),
                post("/v1/agent/commands/{id}/result", null, "Agent: a command's result {ok, message} (agent token)",
                        c -> {
                            AgentStore.Caller a = caller(c);
                            UUID id = c.pathUuid("id", "command");
                            Input in = Input.body(c.body(), false);
                            in.allowOnly(Set.of("ok", "message"));
                            Boolean ok = in.bool("ok", null);
                            if (ok == null) {
                                throw ApiError.invalid("ok", "is required (true or false)");
                            }
                            String message = in.string("message", null, 4000);
                            AgentRoutes.unstorable(c.body());
                            return Reply.ok(commands.result(a.agentId(), id, ok, message).toJson());
                        }));
    }

    /** The agent behind the bearer token; 401 for none, an API key, a rotated or a deleted agent's token. */
    AgentStore.Caller caller(Call c) {
        String header = c.ctx().header("Authorization");
        if (header == null || !header.startsWith("Bearer ")) {
            throw ApiError.unauthorized("missing agent token: send Authorization: Bearer <agent token>");
        }
        return agents.authenticate(header.substring("Bearer ".length()).strip())
                .orElseThrow(() -> ApiError.unauthorized("unknown agent token"));
    }

    private Reply hello(Call c) {
        AgentStore.Caller a = caller(c);
        Input in = Input.body(c.body(), false);
        in.allowOnly(Set.of("protocol_version", "framework", "engines", "schedulers", "capabilities", "metadata"));
        Long version = in.longValue("protocol_version", null, 1, 1000);
        if (version == null) {
            throw ApiError.invalid("protocol_version", "is required (this server speaks " + AgentProtocol.PROTOCOL_VERSION
                    + ")");
        }
        String framework = in.string("framework", null, 100);
        ObjectNode metadata = in.object("metadata");
        if (metadata != null && Json.write(metadata).length() > MAX_METADATA_BYTES) {
            throw ApiError.invalid("metadata", "at most " + MAX_METADATA_BYTES + " bytes of JSON");
        }
        AgentProtocol.Hello h = new AgentProtocol.Hello(version.intValue(), framework, names(in, "engines"),
                names(in, "schedulers"), names(in, "capabilities"), metadata == null ? Json.object() : metadata);
        AgentRoutes.unstorable(c.body());
        protocol.hello(a, h);
        return Reply.ok(Json.object().put("agent_id", a.agentId().toString())
                .put("heartbeat_interval_ms", protocol.heartbeatMs()).put("offline_after_ms", protocol.offlineAfterMs())
                .put("protocol_version", AgentProtocol.PROTOCOL_VERSION));
    }

    private static ArrayNode names(Input in, String field) {
        List<String> list = in.strings(field, 100, 100);
        ArrayNode out = Json.MAPPER.createArrayNode();
        if (list != null) {
            list.forEach(out::add);
        }
        return out;
    }

    private Reply heartbeat(Call c) {
        AgentStore.Caller a = caller(c);
        Input in = Input.body(c.body(), true);
        in.allowOnly(Set.of("error_rate", "sample_error", "active_tasks", "current_task", "uptime_secs"));
        Double errorRate = null;
        JsonNode rate = in.get("error_rate");
        if (rate != null) {
            if (!rate.isNumber()) {
                throw ApiError.wrongType("error_rate", "a number from 0 to 1");
            }
            errorRate = rate.doubleValue();
            if (!(errorRate >= 0 && errorRate <= 1)) {
                throw ApiError.invalid("error_rate", "must be from 0 to 1");
            }
        }
        AgentProtocol.Heartbeat h = new AgentProtocol.Heartbeat(errorRate, in.string("sample_error", null, 4000),
                in.intValue("active_tasks", null, 0, 1_000_000_000), in.string("current_task", null, 500),
                in.longValue("uptime_secs", null, 0, 1L << 40));
        AgentRoutes.unstorable(c.body());
        return Reply.ok(Json.object().put("state", protocol.heartbeat(a, h)));
    }

    private Reply events(Call c) {
        AgentStore.Caller a = caller(c);
        Input in = Input.body(c.body(), false);
        in.allowOnly(Set.of("events"));
        JsonNode list = in.get("events");
        if (list == null) {
            throw ApiError.invalid("events", "is required (an array of events)");
        }
        if (!list.isArray()) {
            throw ApiError.wrongType("events", "an array of events");
        }
        if (list.size() > MAX_EVENTS) {
            throw ApiError.invalid("events", "at most " + MAX_EVENTS + " events per frame; send the rest in another");
        }
        List<AgentProtocol.TaskEvent> events = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            events.add(event(Input.of(list.get(i), "events[" + i + "]")));
        }
        AgentRoutes.unstorable(c.body());
        AgentProtocol.Ingested r = protocol.events(a, events);
        return Reply.ok(Json.object().put("accepted", r.accepted()).put("duplicates", r.duplicates()));
    }

    private static AgentProtocol.TaskEvent event(Input e) {
        e.allowOnly(Set.of("seq", "type", "ts", "task", "error", "retried_as"));
        Long seq = e.longValue("seq", null, 1, Long.MAX_VALUE);
        if (seq == null) {
            throw ApiError.invalid(e.name("seq"), "is required (an integer from 1, increasing per agent)");
        }
        String type = e.string("type", null, 64);
        if (type == null) {
            throw ApiError.invalid(e.name("type"), "is required");
        }
        if (!EVENT_TYPES.contains(type)) {
            throw new ApiError(422, "unknown_event_type", e.name("type") + ": '" + type + "' is not one of "
                    + new java.util.TreeSet<>(EVENT_TYPES), Map.of("field", e.name("type")));
        }
        Instant ts = e.instant("ts");
        ObjectNode taskNode = e.object("task");
        if (taskNode == null) {
            throw ApiError.invalid(e.name("task"), "is required ({external_id, engine, ...})");
        }
        Input t = Input.of(taskNode, e.name("task"));
        t.allowOnly(Set.of("external_id", "engine", "name", "queue", "args", "kwargs", "group_id"));
        String externalId = t.requiredNonBlank("external_id", 255);
        String engine = t.requiredNonBlank("engine", 64);
        JsonNode args = t.get("args");
        ObjectNode kwargs = t.object("kwargs");
        ObjectNode errorNode = e.object("error");
        if (errorNode != null) {
            Input err = Input.of(errorNode, e.name("error"));
            err.allowOnly(Set.of("type", "message", "traceback"));
            err.string("type", null, 255);
            err.string("message", null, 10_000);
            err.string("traceback", null, 64 * 1024);
        }
        return new AgentProtocol.TaskEvent(seq, type, ts, externalId, engine, t.string("name", null, 255),
                t.string("queue", null, 255), args, kwargs, t.string("group_id", null, 255), errorNode,
                e.string("retried_as", null, 255));
    }

    private Reply schedules(Call c) {
        AgentStore.Caller a = caller(c);
        Input in = Input.body(c.body(), false);
        in.allowOnly(Set.of("schedules"));
        JsonNode list = in.get("schedules");
        if (list == null) {
            throw ApiError.invalid("schedules", "is required (an array, [] for none)");
        }
        if (!list.isArray()) {
            throw ApiError.wrongType("schedules", "an array of schedules");
        }
        if (list.size() > MAX_SCHEDULES) {
            throw ApiError.invalid("schedules", "at most " + MAX_SCHEDULES + " schedules");
        }
        List<AgentProtocol.ObservedSchedule> out = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < list.size(); i++) {
            Input s = Input.of(list.get(i), "schedules[" + i + "]");
            s.allowOnly(Set.of("scheduler", "name", "task", "type", "expression", "enabled", "next_run_at",
                    "last_run_at"));
            String name = s.requiredNonBlank("name", 255);
            if (!names.add(name)) {
                throw ApiError.invalid(s.name("name"), "'" + name + "' is named twice");
            }
            out.add(new AgentProtocol.ObservedSchedule(s.string("scheduler", null, 100), name,
                    s.string("task", null, 255), s.oneOf("type", null, SCHEDULE_TYPES),
                    s.string("expression", null, 255), s.bool("enabled", true), s.instant("next_run_at"),
                    s.instant("last_run_at")));
        }
        AgentRoutes.unstorable(c.body());
        return Reply.ok(Json.object().put("schedules", protocol.schedules(a, out)));
    }

    private Reply poll(Call c) throws InterruptedException {
        AgentStore.Caller a = caller(c);
        long waitMs = 0;
        String w = c.query("wait_ms");
        if (w != null && !w.isEmpty()) {
            try {
                waitMs = Long.parseLong(w);
            } catch (NumberFormatException e) {
                waitMs = -1;
            }
            if (waitMs < 0 || waitMs > MAX_WAIT_MS) {
                throw new ApiError(400, "invalid_parameter", "wait_ms must be an integer from 0 to " + MAX_WAIT_MS,
                        Map.of("parameter", "wait_ms"));
            }
        }
        ObjectNode n = Json.object();
        ArrayNode data = n.putArray("data");
        for (Command cmd : commands.poll(a.agentId(), waitMs)) {
            data.add(cmd.toAgentJson());
        }
        return Reply.ok(n);
    }
}
