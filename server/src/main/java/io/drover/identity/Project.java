package io.drover.identity;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.http.Json;
import java.time.Instant;
import java.util.UUID;

/** A tenant: every job, run, key, secret and member belongs to exactly one project. */
public record Project(UUID id, String slug, String name, JsonNode settings, Instant createdAt) {
    public ObjectNode toJson() {
        ObjectNode n = Json.object();
        n.put("id", id.toString());
        n.put("slug", slug);
        n.put("name", name);
        n.set("settings", settings);
        n.put("created_at", createdAt.toString());
        return n;
    }
}
