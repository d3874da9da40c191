package io.drover.identity;

import io.drover.http.ApiError;
import io.drover.store.Db;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Map;

/**
 * Throttles failed logins, in the database so that every node counts the same failures: 5
 * failures for one email or 50 from one address within 15 minutes lock that email or address for
 * 15 minutes. A locked attempt is refused (429) before any password is hashed.
 */
public final class LoginThrottle {
    public static final int EMAIL_LIMIT = 5;
    public static final int IP_LIMIT = 50;
    public static final int WINDOW_SECS = 15 * 60;
    private final Db db;
    private final InstantSource clock;

    public LoginThrottle(Db db, InstantSource clock) {
        this.clock = clock;
        this.db = db;
    }

    public static String emailKey(String email) {
        return "email:" + email.strip().toLowerCase(java.util.Locale.ROOT);
    }

    public static String ipKey(String ip) {
        return "ip:" + ip;
    }

    /** Throws 429 when any of the keys is locked. */
    public void check(String... keys) {
        Instant until = db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT max(locked_until) FROM login_failures WHERE key = ANY (?) AND locked_until > now()")) {
                ps.setArray(1, c.createArrayOf("text", keys));
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getTimestamp(1) == null ? null : rs.getTimestamp(1).toInstant();
                }
            }
        });
        if (until != null) {
            long secs = Math.max(1, until.getEpochSecond() - clock.instant().getEpochSecond());
            throw new ApiError(429, "too_many_attempts", "too many failed logins; try again in " + secs + " seconds",
                    Map.of("retry_after_secs", secs));
        }
    }

    public void failed(Connection c, String key, int limit) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("""
                INSERT INTO login_failures AS f (key, failures, window_start) VALUES (?, 1, now())
                ON CONFLICT (key) DO UPDATE SET
                  failures = CASE WHEN f.window_start < now() - make_interval(secs => ?) THEN 1 ELSE f.failures + 1 END,
                  window_start = CASE WHEN f.window_start < now() - make_interval(secs => ?) THEN now()
                                      ELSE f.window_start END
                RETURNING failures""")) {
            ps.setString(1, key);
            ps.setInt(2, WINDOW_SECS);
            ps.setInt(3, WINDOW_SECS);
            int failures;
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                failures = rs.getInt(1);
            }
            if (failures >= limit) {
                try (PreparedStatement lock = c.prepareStatement(
                        "UPDATE login_failures SET locked_until = now() + make_interval(secs => ?) WHERE key = ?")) {
                    lock.setInt(1, WINDOW_SECS);
                    lock.setString(2, key);
                    lock.executeUpdate();
                }
            }
        }
    }

    public void succeeded(Connection c, String key) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM login_failures WHERE key = ?")) {
            ps.setString(1, key);
            ps.executeUpdate();
        }
    }
}
