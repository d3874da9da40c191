package io.drover.agents;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.errors.NotFound;
import io.drover.http.Json;
import io.drover.store.Db;
import io.drover.store.Query;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** Reads of external tasks, their events, and the schedules agents observe. */
public final class TaskStore {
    /** Events shown with one task (the newest task of a long-lived schedule may have many). */
    public static final int MAX_EVENTS = 1000;
    private final Db db;

    public TaskStore(Db db) {
        this.db = db;
    }

    /** The filters of {@code GET /v1/tasks}; null: any. */
    public record Filter(String engine, String state, UUID agentId, String name) {}

    /**
     * A page of tasks, newest first ({@code limit + 1} rows). The statement leads with the most
     * selective filter given, so that it walks one of the indexes {@code agent_tasks_*} backwards
     * from the cursor (a range scan, whatever the table's size); the other filters are checked on
     * the rows it reads.
     */
    public List<Task> list(UUID projectId, Filter f, UUID cursor, int limit) {
        String statement;
        Object by;
        if (f.agentId() != null) {
            statement = "list_tasks_by_agent";
            by = f.agentId();
        } else if (f.name() != null) {
            statement = "list_tasks_by_name";
            by = f.name();
        } else if (f.state() != null) {
            statement = "list_tasks_by_state";
            by = f.state();
        } else if (f.engine() != null) {
            statement = "list_tasks_by_engine";
            by = f.engine();
        } else {
            statement = "list_tasks";
            by = null;
        }
        return db.read(c -> {
            try (Query q = AgentStore.SQL.prepare(c, statement)) {
                if (by != null) {
                    q.set("by", by);
                }
                q.set("project_id", projectId).set("engine", f.engine()).set("state", f.state())
                        .set("name", f.name()).set("agent_id", f.agentId()).set("cursor", cursor)
                        .set("limit", limit + 1);
                List<Task> out = new ArrayList<>();
                try (ResultSet rs = q.query()) {
                    while (rs.next()) {
                        out.add(Task.map(rs));
                    }
                }
                return out;
            }
        });
    }

    public Task get(UUID projectId, UUID id) {
        return db.read(c -> {
            try (Query q = AgentStore.SQL.prepare(c, "get_task")) {
                q.set("project_id", projectId).set("id", id);
                try (ResultSet rs = q.query()) {
                    if (!rs.next()) {
                        throw new NotFound("task", id.toString());
                    }
                    return Task.map(rs);
                }
            }
        });
    }

    /** The task with its events in seq order (at most {@link #MAX_EVENTS}). */
    public ObjectNode withEvents(Task t) {
        ObjectNode n = t.toJson();
        ArrayNode events = n.putArray("events");
        db.read(c -> {
            try (Query q = AgentStore.SQL.prepare(c, "task_events")) {
                q.set("agent_id", t.agentId()).set("external_id", t.externalId()).set("engine", t.engine())
                        .set("limit", MAX_EVENTS);
                try (ResultSet rs = q.query()) {
                    while (rs.next()) {
                        ObjectNode e = events.addObject();
                        e.put("seq", rs.getLong(1));
                        e.put("type", rs.getString(2));
                        e.put("ts", rs.getTimestamp(3).toInstant().toString());
                        e.set("data", Json.read(rs.getString(4)));
                        e.put("received_at", rs.getTimestamp(5).toInstant().toString());
                    }
                }
            }
            return null;
        });
        return n;
    }

    /** The agent's observed schedules by name (404 for another project's agent). */
    public List<ObjectNode> schedules(UUID projectId, UUID agentId) {
        return db.read(c -> {
            AgentStore.get(c, projectId, agentId);
            try (Query q = AgentStore.SQL.prepare(c, "list_schedules")) {
                q.set("agent_id", agentId).set("project_id", projectId);
                List<ObjectNode> out = new ArrayList<>();
                try (ResultSet rs = q.query()) {
                    while (rs.next()) {
                        ObjectNode s = Json.object();
                        s.put("name", rs.getString(1));
                        s.put("scheduler", rs.getString(2));
                        s.put("task", rs.getString(3));
                        s.put("type", rs.getString(4));
                        s.put("expression", rs.getString(5));
                        s.put("enabled", rs.getBoolean(6));
                        s.put("next_run_at", Agent.text(Agent.instant(rs, 7)));
                        s.put("last_run_at", Agent.text(Agent.instant(rs, 8)));
                        s.put("updated_at", Agent.text(Agent.instant(rs, 9)));
                        out.add(s);
                    }
                }
                return out;
            }
        });
    }
}
