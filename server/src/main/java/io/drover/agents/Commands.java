package io.drover.agents;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.audit.AuditLog;
import io.drover.errors.Conflict;
import io.drover.errors.NotFound;
import io.drover.http.Json;
import io.drover.store.Db;
import io.drover.store.Query;
import io.drover.store.SqlTime;
import io.drover.store.UuidV7;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Commands for agents: made by operators (audited), fetched by the agent's long-poll, acked, then
 * finished with a result; the liveness pass expires those not finished within {@link #ttlMs}.
 * A new command wakes its agent's polls on this node at once ({@link CommandSignal}) and on the
 * others through NOTIFY, sent in the statement that makes it.
 */
public final class Commands {
    /** A command not finished within this is expired. */
    public static final long DEFAULT_TTL_MS = 300_000;
    /** Commands handed out per poll. */
    public static final int MAX_PER_POLL = 100;
    public static final Set<String> RETRYABLE = Set.of("succeeded", "failed", "cancelled", "retried", "lost");
    public static final Set<String> CANCELLABLE = Set.of("pending", "started");

    private final Db db;
    private final AuditLog audit;
    private final CommandSignal signal;
    private final InstantSource clock;
    private final long ttlMs;

    public Commands(Db db, AuditLog audit, CommandSignal signal, InstantSource clock, long ttlMs) {
        this.db = db;
        this.audit = audit;
        this.signal = signal;
        this.clock = clock;
        this.ttlMs = ttlMs;
    }

    public CommandSignal signal() {
        return signal;
    }

    /** {@code retry} (a finished task) or {@code cancel} (a pending or started one) of task {@code taskId}. */
    public Command forTask(UUID projectId, UUID taskId, String type) {
        Command made = db.tx(c -> {
            Task t;
            try (Query q = AgentStore.SQL.prepare(c, "get_task")) {
                q.set("project_id", projectId).set("id", taskId);
                try (ResultSet rs = q.query()) {
                    if (!rs.next()) {
                        throw new NotFound("task", taskId.toString());
                    }
                    t = Task.map(rs);
                }
            }
            Agent agent;
            try {
                agent = AgentStore.get(c, projectId, t.agentId());
            } catch (NotFound e) {
                throw new Conflict("agent_gone", "the agent that reported this task was deleted",
                        Map.of("agent_id", t.agentId().toString()));
            }
            Set<String> allowed = type.equals("retry") ? RETRYABLE : CANCELLABLE;
            if (!allowed.contains(t.state())) {
                throw new Conflict("illegal_state", "cannot " + type + " a task that is " + t.state()
                        + " (allowed: " + new java.util.TreeSet<>(allowed) + ")", Map.of("state", t.state()));
            }
            capable(agent, type);
            ObjectNode args = Json.object().put("engine", t.engine()).put("name", t.name()).put("queue", t.queue())
                    .put("task_id", t.id().toString());
            return insert(c, projectId, agent.id(), type, t.externalId(), t.id(), args);
        });
        signal.wake(made.agentId());
        return made;
    }

    /** {@code pause_schedule} or {@code resume_schedule} of an observed schedule. */
    public Command forSchedule(UUID projectId, UUID agentId, String name, String type) {
        Command made = db.tx(c -> {
            Agent agent = AgentStore.get(c, projectId, agentId);
            try (Query q = AgentStore.SQL.prepare(c, "get_schedule")) {
                q.set("agent_id", agentId).set("project_id", projectId).set("name", name);
                try (ResultSet rs = q.query()) {
                    if (!rs.next()) {
                        throw new NotFound("schedule", name);
                    }
                }
            }
            capable(agent, type);
            return insert(c, projectId, agentId, type, name, null, Json.object());
        });
        signal.wake(made.agentId());
        return made;
    }

    private static void capable(Agent agent, String type) {
        if (agent.lacks(type)) {
            throw new Conflict("not_supported", "agent '" + agent.name() + "' does not offer '" + type
                    + "' (its capabilities: " + agent.capabilities() + ")", Map.of("capability", type));
        }
    }

    private Command insert(Connection c, UUID projectId, UUID agentId, String type, String target, UUID taskId,
            ObjectNode args) throws SQLException {
        Command made;
        try (Query q = AgentStore.SQL.prepare(c, "insert_command")) {
            q.set("id", UuidV7.next()).set("project_id", projectId).set("agent_id", agentId).set("type", type)
                    .set("target", target).set("task_id", taskId).set("args", Json.write(args))
                    .set("now", SqlTime.now(clock)).set("ttl_ms", ttlMs);
            try (ResultSet rs = q.query()) {
                rs.next();
                made = Command.map(rs);
            }
        }
        audit.append(c, projectId, "agent_command.create", "agent_command", made.id(), Json.object()
                .put("type", type).put("target", target).put("agent_id", agentId.toString()));
        return made;
    }

    public Command get(UUID projectId, UUID id) {
        return db.read(c -> {
            try (Query q = AgentStore.SQL.prepare(c, "get_command")) {
                q.set("project_id", projectId).set("id", id);
                try (ResultSet rs = q.query()) {
                    if (!rs.next()) {
                        throw new NotFound("command", id.toString());
                    }
                    return Command.map(rs);
                }
            }
        });
    }

    /**
     * The agent's pending commands, oldest first; when there are none, waits up to {@code waitMs}
     * for one (parked, without a connection) and looks again when woken.
     */
    public List<Command> poll(UUID agentId, long waitMs) throws InterruptedException {
        long deadline = System.nanoTime() + waitMs * 1_000_000L;
        while (true) {
            if (signal.closed()) {
                return List.of(); // stopping: the agent polls again, on another node or after the restart
            }
            long seen = signal.generation(agentId);
            List<Command> pending = pending(agentId);
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (!pending.isEmpty() || left <= 0) {
                return pending;
            }
            signal.await(agentId, seen, left);
        }
    }

    private List<Command> pending(UUID agentId) {
        return db.read(c -> {
            try (Query q = AgentStore.SQL.prepare(c, "pending_commands")) {
                q.set("agent_id", agentId).set("limit", MAX_PER_POLL);
                List<Command> out = new ArrayList<>();
                try (ResultSet rs = q.query()) {
                    while (rs.next()) {
                        out.add(Command.map(rs));
                    }
                }
                return out;
            }
        });
    }

    /** pending -> acked; acking again is a no-op; a finished or expired command is a 409. */
    public Command ack(UUID agentId, UUID id) {
        return db.tx(c -> {
            Command now = lock(c, agentId, id);
            if (now.status().equals("acked")) {
                return now;
            }
            if (!now.status().equals("pending")) {
                throw finished(now);
            }
            try (Query q = AgentStore.SQL.prepare(c, "ack_command")) {
                q.set("id", id).set("now", SqlTime.now(clock));
                try (ResultSet rs = q.query()) {
                    rs.next();
                    return Command.map(rs);
                }
            }
        });
    }

    /** pending or acked -> succeeded ({@code ok}) or failed; the same result again is a no-op. */
    public Command result(UUID agentId, UUID id, boolean ok, String message) {
        String status = ok ? "succeeded" : "failed";
        return db.tx(c -> {
            Command now = lock(c, agentId, id);
            if (now.status().equals(status)) {
                return now;
            }
            if (!now.status().equals("pending") && !now.status().equals("acked")) {
                throw finished(now);
            }
            try (Query q = AgentStore.SQL.prepare(c, "finish_command")) {
                q.set("id", id).set("status", status).set("message", message).set("now", SqlTime.now(clock));
                try (ResultSet rs = q.query()) {
                    rs.next();
                    return Command.map(rs);
                }
            }
        });
    }

    private static Command lock(Connection c, UUID agentId, UUID id) throws SQLException {
        try (Query q = AgentStore.SQL.prepare(c, "lock_command")) {
            q.set("agent_id", agentId).set("id", id);
            try (ResultSet rs = q.query()) {
                if (!rs.next()) {
                    throw new NotFound("command", id.toString());
                }
                return Command.map(rs);
            }
        }
    }

    private static Conflict finished(Command now) {
        return new Conflict(now.status().equals("expired") ? "command_expired" : "command_finished",
                "the command is " + now.status(), Map.of("status", now.status()));
    }
}
