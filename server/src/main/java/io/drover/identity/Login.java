package io.drover.identity;

import io.drover.access.Actor;
import io.drover.audit.AuditLog;
import io.drover.http.Json;
import io.drover.store.Db;
import java.util.Optional;
import java.util.UUID;

/**
 * Signing in and out. A refused login answers the same whether the email is unknown, the account
 * inactive or the password wrong (same message, and an argon2 verification is spent either way),
 * and it is counted by {@link LoginThrottle} and audited, all in one transaction.
 */
public final class Login {
    private final Db db;
    private final Users users;
    private final Passwords passwords;
    private final Sessions sessions;
    private final LoginThrottle throttle;
    private final AuditLog audit;

    public Login(Db db, Users users, Passwords passwords, Sessions sessions, LoginThrottle throttle, AuditLog audit) {
        this.db = db;
        this.users = users;
        this.passwords = passwords;
        this.sessions = sessions;
        this.throttle = throttle;
        this.audit = audit;
    }

    public record Success(User user, Sessions.Created session) {}

    public Success login(String email, String password, String ip) {
        String emailKey = LoginThrottle.emailKey(email);
        throttle.check(emailKey, LoginThrottle.ipKey(ip));
        Optional<User> user = users.byEmail(email);
        boolean ok;
        if (user.isPresent() && user.get().active()) {
            ok = passwords.verify(password, user.get().passwordHash());
        } else {
            passwords.verifyDummy(password);
            ok = false;
        }
        if (!ok) {
            UUID target = user.map(User::id).orElse(null);
            db.tx(c -> {
                throttle.failed(c, emailKey, LoginThrottle.EMAIL_LIMIT);
                throttle.failed(c, LoginThrottle.ipKey(ip), LoginThrottle.IP_LIMIT);
                audit.append(c, Actor.anonymous(ip), null, "auth.login_failed", "user", target,
                        Json.object().put("email", email));
                return null;
            });
            throw new io.drover.errors.Unauthorized("invalid_credentials", "wrong email or password");
        }
        User u = user.get();
        Sessions.Created session = db.tx(c -> {
            throttle.succeeded(c, emailKey);
            Sessions.Created s = sessions.create(c, u.id());
            audit.append(c, Actor.user(u.id(), ip), null, "auth.login", "user", u.id(), Json.object());
            return s;
        });
        return new Success(u, session);
    }

    public void logout(Sessions.Live live, String ip) {
        db.tx(c -> {
            sessions.delete(c, live.sessionId());
            audit.append(c, Actor.user(live.userId(), ip), null, "auth.logout", "user", live.userId(), Json.object());
            return null;
        });
    }
}
