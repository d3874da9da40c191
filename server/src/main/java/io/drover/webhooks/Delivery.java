package io.drover.webhooks;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.http.Json;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.UUID;

/** One delivery of one event to one webhook, as {@code GET /v1/webhooks/{id}/deliveries} shows it. */
public record Delivery(UUID id, UUID webhookId, String eventId, String eventType, String status, int attempts,
        Instant nextAttemptAt, Integer lastStatusCode, String lastError, Instant createdAt, Instant deliveredAt,
        UUID runId) {

    static Delivery map(ResultSet rs) throws SQLException {
        return new Delivery(rs.getObject(1, UUID.class), rs.getObject(2, UUID.class), rs.getString(3),
                rs.getString(4), rs.getString(5), rs.getInt(6), Webhook.instant(rs, 7), (Integer) rs.getObject(8),
                rs.getString(9), Webhook.instant(rs, 10), Webhook.instant(rs, 11), rs.getObject(12, UUID.class));
    }

    public ObjectNode toJson() {
        ObjectNode n = Json.object();
        n.put("id", id.toString());
        n.put("webhook_id", webhookId.toString());
        n.put("event_id", eventId);
        n.put("event_type", eventType);
        n.put("run_id", runId == null ? null : runId.toString());
        n.put("status", status);
        n.put("attempts", attempts);
        // a pending delivery's next attempt; none once it succeeded or is dead
        n.put("next_attempt_at", status.equals("pending") && nextAttemptAt != null ? nextAttemptAt.toString() : null);
        if (lastStatusCode == null) {
            n.putNull("last_status_code");
        } else {
            n.put("last_status_code", lastStatusCode);
        }
        n.put("last_error", lastError);
        n.put("created_at", createdAt.toString());
        n.put("delivered_at", deliveredAt == null ? null : deliveredAt.toString());
        return n;
    }
}
