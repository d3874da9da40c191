package io.drover.webhooks;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.http.Json;
import java.sql.Array;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * A webhook subscription as the API shows it: never its secret. {@code rotatingUntil} is the end
 * of a rotation's grace window while the previous secret still signs, else null.
 */
public record Webhook(UUID id, UUID projectId, String url, List<String> eventTypes, String description,
        boolean enabled, Instant rotatingUntil, Instant createdAt, Instant updatedAt) {

    /** Reads the columns {@code id, project_id, url, event_types, description, enabled, previous_expires_at, created_at, updated_at}. */
    static Webhook map(ResultSet rs) throws SQLException {
        return new Webhook(rs.getObject(1, UUID.class), rs.getObject(2, UUID.class), rs.getString(3),
                strings(rs.getArray(4)), rs.getString(5), rs.getBoolean(6), instant(rs, 7), instant(rs, 8),
                instant(rs, 9));
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
        n.put("description", description);
        n.put("enabled", enabled);
        n.put("previous_secret_expires_at", rotatingUntil == null ? null : rotatingUntil.toString());
        n.put("created_at", createdAt.toString());
        n.put("updated_at", updatedAt.toString());
        return n;
    }
}
