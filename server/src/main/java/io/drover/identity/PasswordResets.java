package io.drover.identity;

import io.drover.access.Actor;
import io.drover.audit.AuditLog;
import io.drover.http.Json;
import io.drover.mail.Mail;
import io.drover.mail.Mailer;
import io.drover.store.Db;
import io.drover.store.Query;
import io.drover.store.Sql;
import io.drover.store.UuidV7;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Password resets: a single-use token valid 60 minutes, mailed to the account's address and
 * stored only as its HMAC. Requesting one answers the same for known and unknown emails. Using one
 * sets the new (strong) password and signs the user out of every session.
 */
public final class PasswordResets {
    private static final Sql SQL = Sql.load("/sql/identity.sql");
    public static final Duration TTL = Duration.ofMinutes(60);
    /** Reset requests one address may make per throttle window, whatever the emails. */
    public static final int REQUESTS_PER_IP = 20;
    private final Db db;
    private final InstantSource clock;
    private final Tokens tokens;
    private final Users users;
    private final Passwords passwords;
    private final Sessions sessions;
    private final Mailer mailer;
    private final AuditLog audit;
    private final LoginThrottle throttle;

    public PasswordResets(Db db, Tokens tokens, Users users, Passwords passwords, Sessions sessions, Mailer mailer,
            AuditLog audit, LoginThrottle throttle, InstantSource clock) {
        this.clock = clock;
        this.throttle = throttle;
        this.db = db;
        this.tokens = tokens;
        this.users = users;
        this.passwords = passwords;
        this.sessions = sessions;
        this.mailer = mailer;
        this.audit = audit;
    }

    public void request(String email, String ip) {
        // Counted per address for known and unknown emails alike, so the limit says nothing about accounts.
        String key = "reset:" + LoginThrottle.ipKey(ip);
        throttle.check(key);
        db.tx(c -> {
            throttle.failed(c, key, REQUESTS_PER_IP);
            return null;
        });
        Optional<User> user = users.byEmail(email);
        if (user.isEmpty() || !user.get().active()) {
            return;
        }
        User u = user.get();
        String token = tokens.generate();
        db.tx(c -> {
            UUID id = UuidV7.next();
            try (Query q = SQL.prepare(c, "insert_password_reset")) {
                q.set("id", id).set("user_id", u.id()).set("token_hash", tokens.hash(token))
                        .set("ttl_secs", TTL.toSeconds()).update();
            }
            mailer.send(c, new Mail(u.email(), "Reset your Drover password",
                    "Someone asked to reset the password of this Drover account. If it was you, within 60 minutes:\n"
                    + "POST /v1/password-resets/confirm with {\"token\": \"" + token + "\", \"password\": \"...\"}\n"
                    + "Otherwise ignore this message.\n"));
            audit.append(c, Actor.anonymous(ip), null, "password_reset.request", "user", u.id(), Json.object());
            return null;
        });
    }

    public User confirm(String token, String password, String ip) {
        return db.tx(c -> {
            if (token == null || token.length() > 200) {
                throw invalid();
            }
            UUID id;
            UUID userId;
            try (Query q = SQL.prepare(c, "password_reset_by_token")) {
                q.set("token_hash", tokens.hash(token));
                try (ResultSet rs = q.query()) {
                    if (!rs.next()) {
                        throw invalid();
                    }
                    id = rs.getObject(1, UUID.class);
                    userId = rs.getObject(2, UUID.class);
                    if (rs.getTimestamp(4) != null) {
                        throw new io.drover.errors.Gone("token_used", "this reset token was already used");
                    }
                    if (!rs.getTimestamp(3).toInstant().isAfter(clock.instant())) {
                        throw new io.drover.errors.Gone("token_expired",
                                "this reset token has expired; ask for a new one");
                    }
                }
            }
            User user = users.get(userId).orElseThrow(PasswordResets::invalid);
            passwords.requireStrong(password, user.email());
            users.setPassword(c, userId, passwords.hash(password));
            try (Query q = SQL.prepare(c, "use_password_reset")) {
                q.set("id", id).update();
            }
            sessions.deleteAll(c, userId);
            audit.append(c, Actor.anonymous(ip), null, "password_reset.complete", "user", userId, Json.object());
            return user;
        });
    }

    static io.drover.errors.DomainException invalid() {
        return new io.drover.errors.NotFound("invalid_token", "no such reset token", Map.of());
    }
}
