package io.drover.identity;

import io.drover.store.Db;
import io.drover.store.Query;
import io.drover.store.Sql;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.InstantSource;

/**
 * Throttles failed logins, in the database so that every node counts the same failures: 5
 * failures for one email or 50 from one address within 15 minutes lock that email or address for
 * 15 minutes. A locked attempt is refused (429) before any password is hashed.
 */
public final class LoginThrottle {
    private static final Sql SQL = Sql.load("/sql/identity.sql");
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
            try (Query q = SQL.prepare(c, "login_locked_until")) {
                q.setArray("keys", "text", keys).set("now", io.drover.store.SqlTime.now(clock));
                try (ResultSet rs = q.query()) {
                    rs.next();
                    return rs.getTimestamp(1) == null ? null : rs.getTimestamp(1).toInstant();
                }
            }
        });
        if (until != null) {
            long secs = Math.max(1, until.getEpochSecond() - clock.instant().getEpochSecond());
            throw new io.drover.errors.TooManyAttempts("too_many_attempts",
                    "too many failed logins; try again in " + secs + " seconds", secs);
        }
    }

    public void failed(Connection c, String key, int limit) throws SQLException {
        try (Query q = SQL.prepare(c, "count_login_failure")) {
            q.set("key", key).set("window_secs", WINDOW_SECS).set("now", io.drover.store.SqlTime.now(clock));
            int failures;
            try (ResultSet rs = q.query()) {
                rs.next();
                failures = rs.getInt(1);
            }
            if (failures >= limit) {
                try (Query lock = SQL.prepare(c, "lock_login")) {
                    lock.set("window_secs", WINDOW_SECS).set("key", key).set("now", io.drover.store.SqlTime.now(clock)).update();
                }
            }
        }
    }

    public void succeeded(Connection c, String key) throws SQLException {
        try (Query q = SQL.prepare(c, "clear_login_failures")) {
            q.set("key", key).update();
        }
    }
}
