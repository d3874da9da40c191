package io.drover.identity;

import io.drover.access.Actor;
import io.drover.access.Role;
import io.drover.audit.AuditLog;
import io.drover.crypto.Keys;
import io.drover.errors.Gone;
import io.drover.http.Json;
import io.drover.store.Db;
import io.drover.store.Query;
import io.drover.store.Sql;
import io.drover.store.SqlTime;
import io.drover.store.UuidV7;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Optional;

/**
 * The first owner, without SMTP or SQL: on a start where no user exists, {@link #issue} makes a
 * one-time setup token (24 h, stored as its HMAC) for the link {@code /ui/setup?token=...};
 * {@link #claim} uses it to create the first owner of the project {@code default}. Any use ends
 * every token, and once a user exists no token is accepted.
 */
public final class FirstOwner {
    private static final Sql SQL = Sql.load("/sql/identity.sql");
    private final Db db;
    private final Tokens tokens;
    private final UserAdmin admin;
    private final AuditLog audit;
    private final InstantSource clock;

    public FirstOwner(Db db, Keys keys, UserAdmin admin, AuditLog audit, InstantSource clock) {
        this.db = db;
        this.tokens = new Tokens(keys, "first owner setup", "drs1_");
        this.admin = admin;
        this.audit = audit;
        this.clock = clock;
    }

    public record Issued(String token, Instant expiresAt) {}

    /** A new setup token when no user exists (empty otherwise); expired tokens are deleted first. */
    public Optional<Issued> issue() {
        return db.tx(c -> {
            lock(c);
            if (anyUser(c)) {
                return Optional.<Issued>empty();
            }
            try (Query q = SQL.prepare(c, "prune_setup_tokens")) {
                q.set("now", SqlTime.now(clock)).update();
            }
            String token = tokens.generate();
            try (Query q = SQL.prepare(c, "insert_setup_token")) {
                q.set("id", UuidV7.next()).set("token_hash", tokens.hash(token)).set("now", SqlTime.now(clock));
                try (ResultSet rs = q.query()) {
                    rs.next();
                    return Optional.of(new Issued(token, rs.getTimestamp(1).toInstant()));
                }
            }
        });
    }

    /** Whether {@code token} is a live setup token while no user exists (the setup page shows its form then). */
    public boolean valid(String token) {
        if (token == null || token.isEmpty() || token.length() > 200) {
            return false;
        }
        return db.read(c -> !anyUser(c) && live(c, token));
    }

    /**
     * Creates the first owner with {@code token}: refused (410) when the token is unknown, used or
     * expired, or a user exists already; a weak password is a 422 and leaves the token usable.
     */
    public User claim(String token, String email, String password, String ip) {
        if (token == null || token.isEmpty() || token.length() > 200) {
            throw gone();
        }
        return db.tx(c -> {
            lock(c);
            if (anyUser(c) || !live(c, token)) {
                throw gone();
            }
            User u = admin.create(c, email, password, Role.OWNER, UserAdmin.DEFAULT_PROJECT);
            try (Query q = SQL.prepare(c, "delete_setup_tokens")) {
                q.update();
            }
            audit.append(c, Actor.anonymous(ip), null, "auth.first_owner", "user", u.id(),
                    Json.object().put("email", u.email()));
            return u;
        });
    }

    private static Gone gone() {
        return new Gone("setup_link_invalid", "this setup link is unknown, used or expired, or an owner exists already;"
                + " sign in, or start the server again with no user to get a new link, or use"
                + " `drover users create --role owner --password-stdin`");
    }

    private static void lock(Connection c) throws SQLException {
        try (Query q = SQL.prepare(c, "lock_setup_tokens")) {
            q.execute();
        }
    }

    private boolean live(Connection c, String token) throws SQLException {
        try (Query q = SQL.prepare(c, "live_setup_token")) {
            q.set("token_hash", tokens.hash(token)).set("now", SqlTime.now(clock));
            try (ResultSet rs = q.query()) {
                return rs.next();
            }
        }
    }

    static boolean anyUser(Connection c) throws SQLException {
        try (Query q = SQL.prepare(c, "any_user"); ResultSet rs = q.query()) {
            rs.next();
            return rs.getBoolean(1);
        }
    }
}
