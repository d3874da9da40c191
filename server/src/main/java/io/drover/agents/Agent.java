package io.drover.agents;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.http.Json;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.UUID;

/** An agent as the API shows it (API.md "Agents and other engines"): never its token. */
public record Agent(UUID id, UUID projectId, String name, JsonNode labels, String state, Integer protocolVersion,
        String framework, JsonNode engines, JsonNode schedulers, JsonNode capabilities, JsonNode metadata,
        Double errorRate, String sampleError, Integer activeTasks, String currentTask, Long uptimeSecs,
        Instant lastSeenAt, Instant lastConnectAt, Instant offlineAt, Instant stateChangedAt, Instant createdAt) {

    /** The columns {@link #map} reads, in order. */
    static final String COLUMNS = "id, project_id, name, labels, state, protocol_version, framework, engines, "
            + "schedulers, capabilities, metadata, error_rate, sample_error, active_tasks, current_task, uptime_secs, "
            + "last_seen_at, last_connect_at, offline_at, state_changed_at, created_at";

    static Agent map(ResultSet rs) throws SQLException {
        return new Agent(rs.getObject(1, UUID.class), rs.getObject(2, UUID.class), rs.getString(3),
                Json.read(rs.getString(4)), rs.getString(5), (Integer) rs.getObject(6), rs.getString(7),
                Json.read(rs.getString(8)), Json.read(rs.getString(9)), Json.read(rs.getString(10)),
                Json.read(rs.getString(11)), (Double) rs.getObject(12), rs.getString(13), (Integer) rs.getObject(14),
                rs.getString(15), (Long) rs.getObject(16), instant(rs, 17), instant(rs, 18), instant(rs, 19),
                instant(rs, 20), instant(rs, 21));
    }

    static Instant instant(ResultSet rs, int i) throws SQLException {
        var t = rs.getTimestamp(i);
        return t == null ? null : t.toInstant();
    }

    /** True when the agent reported capabilities and {@code what} is not among them. */
    boolean lacks(String what) {
        if (capabilities == null || !capabilities.isArray() || capabilities.isEmpty()) {
            return false;
        }
        for (JsonNode c : capabilities) {
            if (what.equals(c.asText())) {
                return false;
            }
        }
        return true;
    }

    public ObjectNode toJson() {
        ObjectNode n = Json.object();
        n.put("id", id.toString());
        n.put("name", name);
        n.set("labels", labels);
        n.put("state", state);
        n.put("protocol_version", protocolVersion);
        n.put("framework", framework);
        n.set("engines", engines);
        n.set("schedulers", schedulers);
        n.set("capabilities", capabilities);
        n.set("metadata", metadata);
        n.put("error_rate", errorRate);
        n.put("sample_error", sampleError);
        n.put("active_tasks", activeTasks);
        n.put("current_task", currentTask);
        n.put("uptime_secs", uptimeSecs);
        n.put("last_seen_at", text(lastSeenAt));
        n.put("last_connect_at", text(lastConnectAt));
        n.put("offline_at", text(offlineAt));
        n.put("state_changed_at", text(stateChangedAt));
        n.put("created_at", text(createdAt));
        return n;
    }

    static String text(Instant t) {
        return t == null ? null : t.toString();
    }
}
