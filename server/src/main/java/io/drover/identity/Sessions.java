package io.drover.identity;

import io.drover.crypto.Keys;
import io.drover.store.Db;
import io.drover.store.Query;
import io.drover.store.Sql;
import io.drover.store.SqlTime;
import io.drover.store.UuidV7;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Optional;
import java.util.UUID;

/**
 * Cookie sessions: a random token in an HttpOnly cookie, stored as its HMAC. Each use slides the
 * expiry to 14 days from now (written at most once a minute). The CSRF token is derived from the
 * session token, so it needs no storage and dies with the session.
 */
public final class Sessions {
    public static final Duration TTL = Duration.ofDays(14);
    public static final String COOKIE = "drover_session";
    public static final String CSRF_COOKIE = "drover_csrf";
    public static final String CSRF_HEADER = "X-CSRF-Token";
    private static final Sql SQL = Sql.load("/sql/identity.sql");

    private final Db db;
    private final InstantSource clock;
    private final Tokens tokens;

    public Sessions(Db db, Keys keys, InstantSource clock) {
        this.clock = clock;
        this.db = db;
        this.tokens = new Tokens(keys, "session", "drs_");
    }

    public record Created(String token, String csrf, Instant expiresAt) {}

    /** A live session: its user, and whether this use moved the expiry (the cookie is then re-sent). */
    public record Live(UUID sessionId, UUID userId, Instant expiresAt, boolean slid) {}

    public Created create(Connection c, UUID userId) throws SQLException {
        String token = tokens.generate();
        try (Query q = SQL.prepare(c, "insert_session")) {
            q.set("id", UuidV7.next()).set("token_hash", tokens.hash(token)).set("user_id", userId)
                    .set("ttl_secs", TTL.toSeconds());
            try (ResultSet rs = q.query()) {
                rs.next();
                return new Created(token, csrfFor(token), rs.getTimestamp(1).toInstant());
            }
        }
    }

    public Optional<Live> authenticate(String token) {
        if (token == null || token.isEmpty() || token.length() > 200) {
            return Optional.empty();
        }
        byte[] hash = tokens.hash(token);
        return db.read(c -> {
            // Slide only when the last slide is over a minute old: one write a minute, not per request.
            try (Query q = SQL.prepare(c, "slide_session")) {
                q.set("ttl_secs", TTL.toSeconds()).set("token_hash", hash).set("now", SqlTime.now(clock));
                try (ResultSet rs = q.query()) {
                    if (rs.next()) {
                        return Optional.of(new Live(rs.getObject(1, UUID.class), rs.getObject(2, UUID.class),
                                rs.getTimestamp(3).toInstant(), true));
                    }
                }
            }
            try (Query q = SQL.prepare(c, "live_session")) {
                // the database's clock unless a test moves one
                q.set("token_hash", hash).set("now", SqlTime.now(clock));
                try (ResultSet rs = q.query()) {
                    return rs.next() ? Optional.of(new Live(rs.getObject(1, UUID.class), rs.getObject(2, UUID.class),
                            rs.getTimestamp(3).toInstant(), false)) : Optional.empty();
                }
            }
        });
    }

    public String csrfFor(String token) {
        return tokens.derived(token);
    }

    public boolean csrfMatches(String token, String header) {
        if (header == null || header.isEmpty()) {
            return false;
        }
        return Keys.constantTimeEquals(csrfFor(token).getBytes(java.nio.charset.StandardCharsets.UTF_8),
                header.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    public void delete(Connection c, UUID sessionId) throws SQLException {
        try (Query q = SQL.prepare(c, "delete_session")) {
            q.set("id", sessionId).update();
        }
    }

    /** Signs a user out everywhere (after a password reset). */
    public void deleteAll(Connection c, UUID userId) throws SQLException {
        try (Query q = SQL.prepare(c, "delete_user_sessions")) {
            q.set("user_id", userId).update();
        }
    }
}
