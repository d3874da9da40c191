package io.drover.agents;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.http.Json;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.UUID;

/**
 * A command for an agent (retry, cancel, pause_schedule, resume_schedule):
 * pending -> acked -> succeeded | failed, or expired when not finished within its TTL.
 */
public record Command(UUID id, UUID agentId, String type, String target, UUID taskId, String args, String status,
        String message, Instant createdAt, Instant ackedAt, Instant finishedAt, Instant expiresAt) {

    static final String COLUMNS = "id, agent_id, type, target, task_id, args, status, message, created_at, "
            + "acked_at, finished_at, expires_at";

    static Command map(ResultSet rs) throws SQLException {
        return new Command(rs.getObject(1, UUID.class), rs.getObject(2, UUID.class), rs.getString(3), rs.getString(4),
                rs.getObject(5, UUID.class), rs.getString(6), rs.getString(7), rs.getString(8),
                Agent.instant(rs, 9), Agent.instant(rs, 10), Agent.instant(rs, 11), Agent.instant(rs, 12));
    }

    /** What operators see. */
    public ObjectNode toJson() {
        ObjectNode n = Json.object();
        n.put("id", id.toString());
        n.put("type", type);
        n.put("status", status);
        n.put("agent_id", agentId.toString());
        n.put("target", target);
        n.put("task_id", taskId == null ? null : taskId.toString());
        n.set("args", Json.read(args));
        n.put("message", message);
        n.put("created_at", Agent.text(createdAt));
        n.put("acked_at", Agent.text(ackedAt));
        n.put("finished_at", Agent.text(finishedAt));
        n.put("expires_at", Agent.text(expiresAt));
        return n;
    }

    /** What the agent's long-poll hands out. */
    ObjectNode toAgentJson() {
        ObjectNode n = Json.object();
        n.put("id", id.toString());
        n.put("type", type);
        n.put("target", target);
        n.set("args", Json.read(args));
        n.put("expires_at", Agent.text(expiresAt));
        return n;
    }
}
