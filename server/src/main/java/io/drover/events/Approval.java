package io.drover.events;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.RawValue;
import io.drover.http.Json;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.UUID;

/** An approval: of a workflow step, or a standalone request for a human decision. */
public record Approval(UUID id, UUID projectId, UUID workflowRunId, String stepId, String action, String details,
        String riskLevel, String status, String comment, String resolvedBy, String continuationEvent,
        Instant expiresAt, Instant createdAt, Instant resolvedAt) {

    static Approval map(ResultSet rs) throws SQLException {
        return new Approval(rs.getObject(1, UUID.class), rs.getObject(2, UUID.class), rs.getObject(3, UUID.class),
                rs.getString(4), rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(8), rs.getString(9),
                rs.getString(10), rs.getString(11), ts(rs, 12), ts(rs, 13), ts(rs, 14));
    }

    private static Instant ts(ResultSet rs, int i) throws SQLException {
        Timestamp t = rs.getTimestamp(i);
        return t == null ? null : t.toInstant();
    }

    public ObjectNode toJson() {
        ObjectNode n = Json.object();
        n.put("id", id.toString());
        n.put("workflow_run_id", workflowRunId == null ? null : workflowRunId.toString());
        n.put("step_id", stepId);
        n.put("action", action);
        if (details == null) {
            n.putNull("details");
        } else {
            n.putRawValue("details", new RawValue(details));
        }
        n.put("risk_level", riskLevel);
        n.put("status", status);
        n.put("comment", comment);
        n.put("resolved_by", resolvedBy);
        n.put("continuation_event", continuationEvent);
        n.put("expires_at", expiresAt == null ? null : expiresAt.toString());
        n.put("created_at", createdAt.toString());
        n.put("resolved_at", resolvedAt == null ? null : resolvedAt.toString());
        return n;
    }

    /** The payload of the continuation event sent when a standalone request is resolved. */
    public ObjectNode continuationPayload() {
        return Json.object().put("approval_id", id.toString()).put("status", status).put("comment", comment)
                .put("resolved_by", resolvedBy);
    }
}
