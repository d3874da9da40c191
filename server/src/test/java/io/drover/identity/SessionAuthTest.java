package io.drover.identity;

import static io.drover.identity.IdentityKit.PASSWORD;
import static org.assertj.core.api.Assertions.assertThat;

import io.drover.testing.Api;
import io.drover.testing.DroverTest;
import io.drover.testing.TestServer;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

@DroverTest
class SessionAuthTest {
    static TestServer server;
    static Api admin;

    @Test
    void loginSetsHardenedCookiesAndMeShowsTheUser() {
        Browser b = IdentityKit.member(server, admin, "Ada@Example.com", "operator");
        String session = b.setCookies().stream().filter(s -> s.startsWith("drover_session=")).findFirst().orElseThrow();
        assertThat(session).contains("HttpOnly").contains("SameSite=Lax").contains("Max-Age=12095")
                .doesNotContain("Secure");
        var me = b.get("/v1/me");
        assertThat(me.status()).isEqualTo(200);
        assertThat(me.json().at("/user/email").asText()).isEqualTo("Ada@Example.com");
        assertThat(me.json().get("role").asText()).isEqualTo("operator");
        assertThat(me.json().at("/user/password_hash").isMissingNode()).isTrue();
        // email is case-insensitive, at login and for uniqueness
        Browser again = new Browser(server.baseUrl());
        assertThat(again.login("ada@EXAMPLE.com", PASSWORD).status()).isEqualTo(200);
        // behind a TLS proxy the cookies are Secure
        Browser tls = new Browser(server.baseUrl());
        tls.send("POST", "/v1/auth/login", Map.of("email", "ada@example.com", "password", PASSWORD),
                Map.of("X-Forwarded-Proto", "https"));
        assertThat(tls.setCookies()).allMatch(c -> c.contains("; Secure"));
        // the stored hash is argon2id in PHC form
        String hash = server.db().read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT password_hash FROM users WHERE lower(email) = 'ada@example.com'");
                    ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        });
        assertThat(hash).startsWith("$argon2id$v=19$m=19456,t=2,p=1$");
    }

    @Test
    void cookieWritesNeedTheCsrfToken() {
        Browser b = IdentityKit.member(server, admin, "csrf@example.com", "operator");
        assertThat(admin.post("/v1/jobs", Map.of("slug", "csrf-job")).status()).isEqualTo(201);
        b.sendCsrf = false;
        var refused = b.post("/v1/jobs/csrf-job/trigger", Map.of());
        assertThat(refused.status()).isEqualTo(403);
        assertThat(refused.errorCode()).isEqualTo("csrf_failed");
        b.sendCsrf = true;
        String good = b.csrf;
        b.csrf = good.substring(0, good.length() - 2) + "xx";
        assertThat(b.post("/v1/jobs/csrf-job/trigger", Map.of()).status()).isEqualTo(403);
        b.csrf = good;
        assertThat(b.post("/v1/jobs/csrf-job/trigger", Map.of()).status()).isEqualTo(201);
        // reads need no token
        b.sendCsrf = false;
        assertThat(b.get("/v1/runs").status()).isEqualTo(200);
        // nor do API keys (no cookie, no ambient authority)
        assertThat(admin.post("/v1/jobs/csrf-job/trigger", Map.of()).status()).isEqualTo(201);
    }

    @Test
    void sessionExpirySlidesAndExpiredSessionsAreRefused() {
        Browser b = IdentityKit.member(server, admin, "slide@example.com", "viewer");
        // pretend the session was last used 10 days ago and ends in 4 days
        IdentityKit.sql(server, "UPDATE sessions SET expires_at = now() + interval '4 days', "
                + "last_seen_at = now() - interval '10 days' WHERE user_id = (SELECT id FROM users WHERE email = ?)",
                "slide@example.com");
        assertThat(b.get("/v1/me").status()).isEqualTo(200);
        Instant expires = server.db().read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT max(expires_at) FROM sessions s JOIN users u "
                    + "ON u.id = s.user_id WHERE u.email = 'slide@example.com'"); ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getTimestamp(1).toInstant();
            }
        });
        assertThat(Duration.between(Instant.now(), expires)).isGreaterThan(Duration.ofDays(13));
        assertThat(b.setCookies()).anyMatch(c -> c.startsWith("drover_session=") && c.contains("Max-Age=1209"));
        // an expired session is refused
        IdentityKit.sql(server, "UPDATE sessions SET expires_at = now() - interval '1 second' "
                + "WHERE user_id = (SELECT id FROM users WHERE email = ?)", "slide@example.com");
        var gone = b.get("/v1/me");
        assertThat(gone.status()).isEqualTo(401);
    }

    @Test
    void logoutEndsTheSession() {
        Browser b = IdentityKit.member(server, admin, "bye@example.com", "viewer");
        assertThat(b.post("/v1/auth/logout", null).status()).isEqualTo(200);
        assertThat(b.setCookies()).anyMatch(c -> c.startsWith("drover_session=;") && c.contains("Max-Age=0"));
        assertThat(b.get("/v1/me").status()).isEqualTo(401);
    }

    @Test
    void failedLoginsAreThrottledAndAudited() {
        IdentityKit.member(server, admin, "thr@example.com", "viewer");
        Browser attacker = new Browser(server.baseUrl());
        for (int i = 0; i < LoginThrottle.EMAIL_LIMIT; i++) {
            var a = attacker.login("thr@example.com", "wrong password " + i);
            assertThat(a.status()).isEqualTo(401);
            assertThat(a.errorCode()).isEqualTo("invalid_credentials");
        }
        var locked = attacker.login("thr@example.com", PASSWORD);
        assertThat(locked.status()).isEqualTo(429);
        assertThat(locked.errorCode()).isEqualTo("too_many_attempts");
        // an unknown email answers like a wrong password
        var unknown = new Browser(server.baseUrl()).login("nobody@example.com", PASSWORD);
        assertThat(unknown.status()).isEqualTo(401);
        assertThat(unknown.errorCode()).isEqualTo("invalid_credentials");
        long failures = server.db().read(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT count(*) FROM audit_log WHERE action = 'auth.login_failed'"); ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        });
        assertThat(failures).isGreaterThanOrEqualTo(LoginThrottle.EMAIL_LIMIT + 1);
        // the project's admins see their members' sign-ins in the project's audit list
        var seen = admin.get("/v1/audit-events?action=auth.&limit=500").json().get("data");
        assertThat(seen).extracting(r -> r.get("action").asText()).contains("auth.login", "auth.login_failed");
    }

    @Test
    void weakPasswordsAreRefused() {
        admin.post("/v1/invitations", Map.of("email", "weak@example.com", "role", "viewer"));
        String token = IdentityKit.lastToken(server, "weak@example.com");
        Browser b = new Browser(server.baseUrl());
        for (String weak : new String[] {"short", "password123", "aaaaaaaaaaaaaaa", "weak@example.com"}) {
            var r = b.post("/v1/invitations/accept", Map.of("token", token, "password", weak));
            assertThat(r.status()).as(weak).isEqualTo(422);
            assertThat(r.errorCode()).isEqualTo("weak_password");
        }
        // the token survived the refused attempts (nothing was written)
        assertThat(b.post("/v1/invitations/accept", Map.of("token", token, "password", PASSWORD)).status())
                .isEqualTo(200);
    }

    @Test
    void missingOrBadCredentialsAre401() {
        Api none = admin.withKey(null);
        assertThat(none.get("/v1/me").status()).isEqualTo(401);
        assertThat(admin.withKey("drv_nope").get("/v1/jobs").status()).isEqualTo(401);
        var me = admin.get("/v1/me");
        assertThat(me.status()).isEqualTo(200);
        assertThat(me.json().get("role").asText()).isEqualTo("admin");
    }
}
