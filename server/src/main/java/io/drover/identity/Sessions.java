package io.drover.identity;

import io.drover.crypto.Keys;
import io.drover.store.Db;
import io.drover.store.SqlTime;
import io.drover.store.UuidV7;
import java.sql.Connection;
import java.sql.PreparedStatement;
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
        try (PreparedStatement ps = c.prepareStatement("""
                INSERT INTO sessions (id, token_hash, user_id, expires_at)
                VALUES (?, ?, ?, now() + make_interval(secs => ?)) RETURNING expires_at""")) {
            ps.setObject(1, UuidV7.next());
            ps.setBytes(2, tokens.hash(token));
            ps.setObject(3, userId);
            ps.setLong(4, TTL.toSeconds());
            try (ResultSet rs = ps.executeQuery()) {
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
            try (PreparedStatement ps = c.prepareStatement("""
                    UPDATE sessions s SET expires_at = now() + make_interval(secs => ?), last_seen_at = now()
                    FROM users u
                    WHERE s.token_hash = ? AND s.expires_at > coalesce(?::timestamptz, now()) AND u.id = s.user_id
                      AND u.is_active AND s.last_seen_at < now() - interval '60 seconds'
                    RETURNING s.id, s.user_id, s.expires_at""")) {
                ps.setLong(1, TTL.toSeconds());
                ps.setBytes(2, hash);
                ps.setTimestamp(3, SqlTime.now(clock));
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        return Optional.of(new Live(rs.getObject(1, UUID.class), rs.getObject(2, UUID.class),
                                rs.getTimestamp(3).toInstant(), true));
                    }
                }
            }
            try (PreparedStatement ps = c.prepareStatement("""
                    SELECT s.id, s.user_id, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id
                    WHERE s.token_hash = ? AND s.expires_at > coalesce(?::timestamptz, now()) AND u.is_active""")) {
                ps.setBytes(1, hash);
                ps.setTimestamp(2, SqlTime.now(clock)); // the database's clock unless a test moves one
                try (ResultSet rs = ps.executeQuery()) {
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
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM sessions WHERE id = ?")) {
            ps.setObject(1, sessionId);
            ps.executeUpdate();
        }
    }

    /** Signs a user out everywhere (after a password reset). */
    public void deleteAll(Connection c, UUID userId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM sessions WHERE user_id = ?")) {
            ps.setObject(1, userId);
            ps.executeUpdate();
        }
    }
}
