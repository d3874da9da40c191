package io.drover.jobs;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.UUID;

/** A stored job: its current spec and version. */
public record Job(UUID id, UUID projectId, int version, JobSpec spec, Instant createdAt, Instant updatedAt) {
    public ObjectNode toJson() {
        ObjectNode n = io.drover.http.Json.object();
        n.put("id", id.toString());
        n.put("version", version);
        n.setAll(spec.toJson());
        n.put("created_at", createdAt.toString());
        n.put("updated_at", updatedAt.toString());
        return n;
    }
}
