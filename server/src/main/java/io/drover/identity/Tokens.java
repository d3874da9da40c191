package io.drover.identity;

import io.drover.crypto.Keys;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Bearer tokens of one kind (sessions, invitations, password resets): 256 random bits, shown to
 * their holder once, stored only as HMAC-SHA256 under a per-kind key derived from the master key.
 * A database dump therefore holds nothing that signs anyone in.
 */
public final class Tokens {
    private final byte[] key;
    private final String prefix;
    private final SecureRandom random = new SecureRandom();

    public Tokens(Keys keys, String purpose, String prefix) {
        this.key = keys.derive("drover token " + purpose + " v1");
        this.prefix = prefix;
    }

    public String generate() {
        byte[] b = new byte[32];
        random.nextBytes(b);
        return prefix + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    public byte[] hash(String token) {
        return Keys.hmac(key, token.getBytes(StandardCharsets.UTF_8));
    }

    /** A value derived from a token (the CSRF token of a session), base64url. */
    public String derived(String token) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(hash("derived:" + token));
    }
}
