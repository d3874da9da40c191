package io.drover.workflows;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.UUID;

/** One version of a workflow definition as the API shows it. */
public record Workflow(UUID id, UUID projectId, int version, WorkflowSpec spec, Instant createdAt, Instant updatedAt) {
    public ObjectNode toJson() {
        ObjectNode n = spec.toJson();
        ObjectNode out = io.drover.http.Json.object();
        out.put("id", id.toString());
        out.put("slug", spec.slug());
        out.put("version", version);
        out.setAll(n);
        out.put("created_at", createdAt.toString());
        out.put("updated_at", updatedAt.toString());
        return out;
    }
}
