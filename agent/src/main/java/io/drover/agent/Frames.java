package io.drover.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The agent protocol's JSON frames (API.md, "Agents and other engines"), written by hand: no Jackson modules needed. */
final class Frames {
    static final ObjectMapper JSON = new ObjectMapper();

    private Frames() {}

    static ObjectNode event(TaskEvent e) {
        ObjectNode n = JSON.createObjectNode();
        n.put("seq", e.seq());
        n.put("type", e.type());
        n.put("ts", e.ts().toString());
        ObjectNode t = n.putObject("task");
        TaskEvent.Task task = e.task();
        t.put("external_id", task.externalId());
        t.put("engine", task.engine());
        t.put("name", task.name());
        putIf(t, "queue", task.queue());
        putIf(t, "group_id", task.groupId());
        if (task.args() != null) {
            t.set("args", JSON.valueToTree(task.args()));
        }
        if (task.kwargs() != null) {
            t.set("kwargs", JSON.valueToTree(task.kwargs()));
        }
        if (e.error() != null) {
            ObjectNode err = n.putObject("error");
            putIf(err, "type", e.error().type());
            putIf(err, "message", e.error().message());
            putIf(err, "traceback", e.error().traceback());
        }
        putIf(n, "retried_as", e.retriedAs());
        return n;
    }

    @SuppressWarnings("unchecked")
    static TaskEvent event(JsonNode n) {
        JsonNode t = n.path("task");
        TaskEvent.Task task = new TaskEvent.Task(t.path("external_id").asText(), t.path("engine").asText(),
                t.path("name").asText(), text(t, "queue"),
                t.hasNonNull("args") ? JSON.convertValue(t.get("args"), List.class) : null,
                t.hasNonNull("kwargs") ? JSON.convertValue(t.get("kwargs"), Map.class) : null, text(t, "group_id"));
        JsonNode err = n.path("error");
        TaskEvent.TaskError error = err.isObject()
                ? new TaskEvent.TaskError(text(err, "type"), text(err, "message"), text(err, "traceback")) : null;
        return new TaskEvent(n.path("seq").asLong(), n.path("type").asText(), Instant.parse(n.path("ts").asText()),
                task, error, text(n, "retried_as"));
    }

    static ObjectNode events(List<TaskEvent> events) {
        ObjectNode body = JSON.createObjectNode();
        ArrayNode arr = body.putArray("events");
        for (TaskEvent e : events) {
            arr.add(event(e));
        }
        return body;
    }

    static ObjectNode schedules(List<ObservedSchedule> schedules) {
        ObjectNode body = JSON.createObjectNode();
        ArrayNode arr = body.putArray("schedules");
        for (ObservedSchedule s : schedules) {
            ObjectNode n = arr.addObject();
            n.put("scheduler", s.scheduler());
            n.put("name", s.name());
            putIf(n, "task", s.task());
            n.put("type", s.type());
            putIf(n, "expression", s.expression());
            n.put("enabled", s.enabled());
            putIf(n, "next_run_at", s.nextRunAt() == null ? null : s.nextRunAt().toString());
            putIf(n, "last_run_at", s.lastRunAt() == null ? null : s.lastRunAt().toString());
        }
        return body;
    }

    @SuppressWarnings("unchecked")
    static List<AgentCommand> commands(JsonNode answer) {
        List<AgentCommand> out = new ArrayList<>();
        for (JsonNode c : answer.path("data")) {
            Map<String, Object> args = c.hasNonNull("args") && c.get("args").isObject()
                    ? JSON.convertValue(c.get("args"), Map.class) : Map.of();
            out.add(new AgentCommand(c.path("id").asText(), type(c.path("type").asText()), text(c, "target"), args));
        }
        return out;
    }

    /** Drover names the schedule commands {@code pause_schedule} and {@code resume_schedule}; adapters see {@code pause} and {@code resume}. */
    private static String type(String wire) {
        return switch (wire) {
            case "pause_schedule" -> "pause";
            case "resume_schedule" -> "resume";
            default -> wire;
        };
    }

    private static void putIf(ObjectNode n, String field, String value) {
        if (value != null) {
            n.put(field, value);
        }
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }
}
