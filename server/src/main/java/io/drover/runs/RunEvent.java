package io.drover.runs;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.RawValue;
import io.drover.http.Json;
import java.time.Instant;
import java.util.UUID;

/** One entry of a run's history; every change of status writes one. */
public record RunEvent(UUID id, UUID runId, String type, String fromStatus, String toStatus, int attempt,
        String message, String data, Instant createdAt, long seq) {
    public ObjectNode toJson() {
        ObjectNode n = Json.object();
        n.put("id", id.toString());
        n.put("run_id", runId.toString());
        n.put("type", type);
        n.put("from_status", fromStatus);
        n.put("to_status", toStatus);
        n.put("attempt", attempt);
        n.put("message", message);
        if (data == null) {
            n.putNull("data");
        } else {
            n.putRawValue("data", new RawValue(data));
        }
        n.put("created_at", createdAt.toString());
        n.put("seq", seq);
        return n;
    }
}
