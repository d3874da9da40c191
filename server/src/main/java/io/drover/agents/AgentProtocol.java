package io.drover.agents;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.eventlog.EventWrites;
import io.drover.http.Json;
import io.drover.redact.Redactions;
import io.drover.redact.Redactor;
import io.drover.store.Db;
import io.drover.store.Query;
import io.drover.store.SqlTime;
import io.drover.store.UuidV7;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * What agents send (API.md "Agents and other engines"): hello, heartbeat, task events and
 * observed schedules, each in one transaction. Liveness changes are {@code agent.*} events of the
 * event log, written in the transaction of the change. Task events are written in one statement
 * per frame ({@code ingest_events}); their {@code seq} makes a resent event a no-op.
 */
public final class AgentProtocol {
    public static final int PROTOCOL_VERSION = 1;

    private final Db db;
    private final Redactions redactions;
    private final InstantSource clock;
    private final long heartbeatMs;

    public AgentProtocol(Db db, Redactions redactions, InstantSource clock, long heartbeatMs) {
        this.db = db;
        this.redactions = redactions;
        this.clock = clock;
        this.heartbeatMs = heartbeatMs;
    }

    public long heartbeatMs() {
        return heartbeatMs;
    }

    /** No heartbeat for this long and the agent is offline: three intervals. */
    public long offlineAfterMs() {
        return 3 * heartbeatMs;
    }

    public record Hello(int protocolVersion, String framework, JsonNode engines, JsonNode schedulers,
            JsonNode capabilities, JsonNode metadata) {}

    public record Heartbeat(Double errorRate, String sampleError, Integer activeTasks, String currentTask,
            Long uptimeSecs) {}

    /** One task event; {@code error} is {@code {type, message, traceback}} or null. */
    public record TaskEvent(long seq, String type, Instant ts, String externalId, String engine, String name,
            String queue, JsonNode args, JsonNode kwargs, String groupId, JsonNode error, String retriedAs) {}

    public record Ingested(int accepted, int duplicates) {}

    public record ObservedSchedule(String scheduler, String name, String task, String type, String expression,
            boolean enabled, Instant nextRunAt, Instant lastRunAt) {}

    public void hello(AgentStore.Caller agent, Hello h) {
        db.tx(c -> {
            Locked before = lock(c, agent.agentId());
            String next = AgentState.afterHello(before.state());
            try (Query q = AgentStore.SQL.prepare(c, "hello")) {
                q.set("id", agent.agentId()).set("protocol_version", h.protocolVersion()).set("framework", h.framework())
                        .set("engines", Json.write(h.engines())).set("schedulers", Json.write(h.schedulers()))
                        .set("capabilities", Json.write(h.capabilities())).set("metadata", Json.write(h.metadata()))
                        .set("state", next).set("now", SqlTime.now(clock)).set("offline_after_ms", offlineAfterMs())
                        .update();
            }
            changed(c, agent, before, next, null);
            return null;
        });
    }

    /** Records a heartbeat; answers the agent's state after it. */
    public String heartbeat(AgentStore.Caller agent, Heartbeat h) {
        return db.tx(c -> {
            Locked before = lock(c, agent.agentId());
            String next = AgentState.afterHeartbeat(before.state(), h.errorRate());
            Redactor r = redactions.forProject(agent.projectId());
            try (Query q = AgentStore.SQL.prepare(c, "heartbeat")) {
                q.set("id", agent.agentId()).set("error_rate", h.errorRate())
                        .set("sample_error", r.redactText(h.sampleError())).set("active_tasks", h.activeTasks())
                        .set("current_task", h.currentTask()).set("uptime_secs", h.uptimeSecs()).set("state", next)
                        .set("now", SqlTime.now(clock)).set("offline_after_ms", offlineAfterMs());
                q.query().close();
            }
            changed(c, agent, before, next, h.errorRate());
            return next;
        });
    }

    private record Locked(String state, String name) {}

    private static Locked lock(Connection c, UUID agentId) throws SQLException {
        try (Query q = AgentStore.SQL.prepare(c, "lock_agent")) {
            q.set("id", agentId);
            try (ResultSet rs = q.query()) {
                if (!rs.next()) {
                    // deleted between the token check and here: as if the token were unknown
                    throw new io.drover.errors.Unauthorized("unauthorized", "unknown agent token");
                }
                return new Locked(rs.getString(1), rs.getString(2));
            }
        }
    }

    /** An {@code agent.<state>} event when the state changed, at the change's time. */
    private void changed(Connection c, AgentStore.Caller agent, Locked before, String next, Double errorRate)
            throws SQLException {
        if (next.equals(before.state())) {
            return;
        }
        ObjectNode data = Json.object().put("agent_id", agent.agentId().toString()).put("name", before.name())
                .put("from", before.state()).put("to", next);
        if (errorRate != null) {
            data.put("error_rate", errorRate);
        }
        EventWrites.insert(c, agent.projectId(), "agent." + next, null, data, SqlTime.now(clock));
    }

    /**
     * One events frame: every event whose seq this agent has not sent before is stored and folded
     * into its task, in one statement; the others (sent before, or twice in this frame) are
     * duplicates and change nothing.
     */
    public Ingested events(AgentStore.Caller agent, List<TaskEvent> events) {
        Redactor r = redactions.forProject(agent.projectId());
        Set<Long> seen = new HashSet<>();
        List<TaskEvent> unique = new ArrayList<>(events.size());
        for (TaskEvent e : events) {
            if (seen.add(e.seq())) {
                unique.add(e);
            }
        }
        int n = unique.size();
        Long[] seqs = new Long[n];
        String[] types = new String[n];
        String[] ts = new String[n];
        String[] externalIds = new String[n];
        String[] engines = new String[n];
        String[] names = new String[n];
        String[] queues = new String[n];
        String[] args = new String[n];
        String[] kwargs = new String[n];
        String[] groupIds = new String[n];
        String[] errors = new String[n];
        String[] retriedAs = new String[n];
        UUID[] newIds = new UUID[n];
        Instant now = clock.instant();
        for (int i = 0; i < n; i++) {
            TaskEvent e = unique.get(i);
            seqs[i] = e.seq();
            types[i] = e.type();
            ts[i] = (e.ts() != null ? e.ts() : now).toString();
            externalIds[i] = e.externalId();
            engines[i] = e.engine();
            names[i] = e.name();
            queues[i] = e.queue();
            args[i] = e.args() == null ? null : Json.write(r.redact(e.args()));
            kwargs[i] = e.kwargs() == null ? null : Json.write(r.redact(e.kwargs()));
            groupIds[i] = e.groupId();
            errors[i] = e.error() == null ? null : Json.write(redactError(r, e.error()));
            retriedAs[i] = e.retriedAs();
            newIds[i] = UuidV7.next();
        }
        int accepted = n == 0 ? 0 : db.tx(c -> {
            try (Query q = AgentStore.SQL.prepare(c, "ingest_events")) {
                q.set("agent_id", agent.agentId()).set("project_id", agent.projectId()).set("now", SqlTime.now(clock))
                        .setArray("seqs", "int8", seqs).setArray("types", "text", types)
                        .setArray("ts", "text", ts).setArray("external_ids", "text", externalIds)
                        .setArray("engines", "text", engines).setArray("names", "text", names)
                        .setArray("queues", "text", queues).setArray("args", "text", args)
                        .setArray("kwargs", "text", kwargs).setArray("group_ids", "text", groupIds)
                        .setArray("errors", "text", errors).setArray("retried_as", "text", retriedAs)
                        .setArray("new_ids", "uuid", newIds);
                try (ResultSet rs = q.query()) {
                    rs.next();
                    return rs.getInt(1);
                }
            }
        });
        return new Ingested(accepted, events.size() - accepted);
    }

    /** The error's message and traceback are free text: the project's patterns apply to them too. */
    private static JsonNode redactError(Redactor r, JsonNode error) {
        JsonNode out = r.redact(error);
        if (out instanceof ObjectNode o) {
            for (String field : List.of("message", "traceback")) {
                if (o.path(field).isTextual()) {
                    o.put(field, r.redactText(o.get(field).textValue()));
                }
            }
        }
        return out;
    }

    /** Replaces the agent's observed schedules with {@code schedules}. */
    public int schedules(AgentStore.Caller agent, List<ObservedSchedule> schedules) {
        int n = schedules.size();
        String[] names = new String[n];
        String[] schedulers = new String[n];
        String[] tasks = new String[n];
        String[] types = new String[n];
        String[] expressions = new String[n];
        Boolean[] enabled = new Boolean[n];
        String[] nextRuns = new String[n];
        String[] lastRuns = new String[n];
        for (int i = 0; i < n; i++) {
            ObservedSchedule s = schedules.get(i);
            names[i] = s.name();
            schedulers[i] = s.scheduler();
            tasks[i] = s.task();
            types[i] = s.type();
            expressions[i] = s.expression();
            enabled[i] = s.enabled();
            nextRuns[i] = s.nextRunAt() == null ? null : s.nextRunAt().toString();
            lastRuns[i] = s.lastRunAt() == null ? null : s.lastRunAt().toString();
        }
        return db.tx(c -> {
            lock(c, agent.agentId());
            try (Query q = AgentStore.SQL.prepare(c, "delete_schedules")) {
                q.set("agent_id", agent.agentId()).update();
            }
            if (n == 0) {
                return 0;
            }
            try (Query q = AgentStore.SQL.prepare(c, "insert_schedules")) {
                q.set("agent_id", agent.agentId()).set("project_id", agent.projectId()).set("now", SqlTime.now(clock))
                        .setArray("names", "text", names).setArray("schedulers", "text", schedulers)
                        .setArray("tasks", "text", tasks).setArray("types", "text", types)
                        .setArray("expressions", "text", expressions).setArray("enableds", "bool", enabled)
                        .setArray("next_runs", "text", nextRuns).setArray("last_runs", "text", lastRuns);
                return q.update();
            }
        });
    }
}
