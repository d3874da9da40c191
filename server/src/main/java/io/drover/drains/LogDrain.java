package io.drover.drains;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.http.Json;
import java.sql.Array;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * A log drain as the API shows it (never its secret). {@code attempts} counts the failed attempts
 * of the batch now pending (0 when the last batch went through); {@code lastStatusCode} and
 * {@code lastError} are those of the last attempt.
 */
public record LogDrain(UUID id, UUID projectId, String url, List<String> eventTypes, String format, boolean enabled,
        int attempts, Integer lastStatusCode, String lastError, Instant lastSentAt, Instant createdAt,
        Instant updatedAt) {

    /** Reads the columns of the drains.sql statements that return a drain, in their order. */
    static LogDrain map(ResultSet rs) throws SQLException {
        return new LogDrain(rs.getObject(1, UUID.class), rs.getObject(2, UUID.class), rs.getString(3),
                strings(rs.getArray(4)), rs.getString(5), rs.getBoolean(6), rs.getInt(7), (Integer) rs.getObject(8),
                rs.getString(9), instant(rs, 10), instant(rs, 11), instant(rs, 12));
    }

    static List<String> strings(Array a) throws SQLException {
        return a == null ? List.of() : List.of((String[]) a.getArray());
    }

    static Instant instant(ResultSet rs, int i) throws SQLException {
        var t = rs.getTimestamp(i);
        return t == null ? null : t.toInstant();
    }

    public ObjectNode toJson() {
        ObjectNode n = Json.object();
        n.put("id", id.toString());
        n.put("url", url);
        var types = n.putArray("event_types");
        eventTypes.forEach(types::add);
        n.put("format", format);
        n.put("enabled", enabled);
        n.put("failed_attempts", attempts);
        if (lastStatusCode == null) {
            n.putNull("last_status_code");
        } else {
            n.put("last_status_code", lastStatusCode);
        }
        n.put("last_error", lastError);
        n.put("last_sent_at", lastSentAt == null ? null : lastSentAt.toString());
        n.put("created_at", createdAt.toString());
        n.put("updated_at", updatedAt.toString());
        return n;
    }

    /** A finished batch: sent (2xx) or dead, as {@code GET /v1/log-drains/{id}/batches} shows it. */
    public record Batch(UUID id, UUID drainId, String webhookId, String firstEventId, String lastEventId, int events,
            String status, int attempts, Integer lastStatusCode, String lastError, Instant finishedAt) {

        static Batch map(ResultSet rs) throws SQLException {
            return new Batch(rs.getObject(1, UUID.class), rs.getObject(2, UUID.class), rs.getString(3),
                    rs.getString(4), rs.getString(5), rs.getInt(6), rs.getString(7), rs.getInt(8),
                    (Integer) rs.getObject(9), rs.getString(10), instant(rs, 11));
        }

        public ObjectNode toJson() {
            ObjectNode n = Json.object();
            n.put("id", id.toString());
            n.put("drain_id", drainId.toString());
            n.put("webhook_id", webhookId);
            n.put("first_event_id", firstEventId);
            n.put("last_event_id", lastEventId);
            n.put("events", events);
            n.put("status", status);
            n.put("attempts", attempts);
            if (lastStatusCode == null) {
                n.putNull("last_status_code");
            } else {
                n.put("last_status_code", lastStatusCode);
            }
            n.put("last_error", lastError);
            n.put("finished_at", finishedAt.toString());
            return n;
        }
    }
}
