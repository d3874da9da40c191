package io.drover.access;

import java.util.UUID;

/** Who did something: a user, an API key, the system itself, or someone not signed in. */
public record Actor(String type, UUID id, String ip) {
    public static final Actor SYSTEM = new Actor("system", null, null);

    public static Actor user(UUID userId, String ip) {
        return new Actor("user", userId, ip);
    }

    public static Actor apiKey(UUID keyId, String ip) {
        return new Actor("api_key", keyId, ip);
    }

    public static Actor anonymous(String ip) {
        return new Actor("anonymous", null, ip);
    }
}
