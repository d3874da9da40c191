package io.drover.identity;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.http.Json;
import java.time.Instant;
import java.util.UUID;

/** A person who signs in with an email and a password; never serialized with its hash. */
public record User(UUID id, String email, String displayName, String passwordHash, boolean active,
        Instant createdAt) {
    public ObjectNode toJson() {
        ObjectNode n = Json.object();
        n.put("id", id.toString());
        n.put("email", email);
        n.put("display_name", displayName);
        n.put("is_active", active);
        n.put("created_at", createdAt.toString());
        return n;
    }
}
