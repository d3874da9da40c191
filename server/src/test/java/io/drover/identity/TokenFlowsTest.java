package io.drover.identity;

import static io.drover.identity.IdentityKit.PASSWORD;
import static org.assertj.core.api.Assertions.assertThat;

import io.drover.testing.Api;
import io.drover.testing.DroverTest;
import io.drover.testing.TestServer;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Invitation and password-reset tokens: single use, expiry, wrong tokens, stored only as HMACs. */
@DroverTest
class TokenFlowsTest {
    static TestServer server;
    static Api admin;

    @Test
    void invitationIsSingleUseAndExpires() {
        var inv = admin.post("/v1/invitations", Map.of("email", "inv@example.com", "role", "operator"));
        assertThat(inv.status()).isEqualTo(201);
        assertThat(inv.text()).doesNotContain("token");
        assertThat(inv.json().get("expires_at").asText()).isNotEmpty();
        String token = IdentityKit.lastToken(server, "inv@example.com");
        assertThat(tableHolds("invitations", token)).isFalse();

        Browser b = new Browser(server.baseUrl());
        var wrong = b.post("/v1/invitations/accept", Map.of("token", token + "x", "password", PASSWORD));
        assertThat(wrong.status()).isEqualTo(404);
        assertThat(wrong.errorCode()).isEqualTo("invalid_token");
        var ok = b.post("/v1/invitations/accept", Map.of("token", token, "password", PASSWORD));
        assertThat(ok.status()).isEqualTo(200);
        assertThat(ok.json().get("role").asText()).isEqualTo("operator");
        var again = b.post("/v1/invitations/accept", Map.of("token", token, "password", PASSWORD));
        assertThat(again.status()).isEqualTo(410);
        assertThat(again.errorCode()).isEqualTo("token_used");

        admin.post("/v1/invitations", Map.of("email", "late@example.com", "role", "viewer"));
        String late = IdentityKit.lastToken(server, "late@example.com");
        IdentityKit.sql(server, "UPDATE invitations SET expires_at = now() - interval '1 second' WHERE email = ?",
                "late@example.com");
        var expired = b.post("/v1/invitations/accept", Map.of("token", late, "password", PASSWORD));
        assertThat(expired.status()).isEqualTo(410);
        assertThat(expired.errorCode()).isEqualTo("token_expired");

        // a revoked invitation is as good as none
        var rev = admin.post("/v1/invitations", Map.of("email", "rev@example.com", "role", "viewer"));
        String revToken = IdentityKit.lastToken(server, "rev@example.com");
        assertThat(admin.delete("/v1/invitations/" + rev.json().get("id").asText()).status()).isEqualTo(200);
        assertThat(b.post("/v1/invitations/accept", Map.of("token", revToken, "password", PASSWORD)).status())
                .isEqualTo(404);
        // the admin key cannot invite an owner once the project has one... it has none yet, so it can
        assertThat(admin.post("/v1/invitations", Map.of("email", "x", "role", "viewer")).status()).isEqualTo(422);
    }

    @Test
    void passwordResetIsSingleUseExpiresAndSignsOutEverywhere() {
        Browser user = IdentityKit.member(server, admin, "reset@example.com", "viewer");
        Browser anon = new Browser(server.baseUrl());
        // unknown emails get the same answer and no mail
        assertThat(anon.post("/v1/password-resets", Map.of("email", "ghost@example.com")).status()).isEqualTo(202);
        assertThat(anon.post("/v1/password-resets", Map.of("email", "RESET@example.com")).status()).isEqualTo(202);
        String token = IdentityKit.lastToken(server, "reset@example.com");
        assertThat(tableHolds("password_resets", token)).isFalse();

        String newPassword = "a different passphrase 2026!";
        assertThat(anon.post("/v1/password-resets/confirm", Map.of("token", "drp_wrong", "password", newPassword))
                .errorCode()).isEqualTo("invalid_token");
        assertThat(anon.post("/v1/password-resets/confirm", Map.of("token", token, "password", "weak")).status())
                .isEqualTo(422);
        assertThat(anon.post("/v1/password-resets/confirm", Map.of("token", token, "password", newPassword)).status())
                .isEqualTo(200);
        assertThat(anon.post("/v1/password-resets/confirm", Map.of("token", token, "password", newPassword))
                .errorCode()).isEqualTo("token_used");
        // the old session is gone, the old password too
        assertThat(user.get("/v1/me").status()).isEqualTo(401);
        assertThat(new Browser(server.baseUrl()).login("reset@example.com", PASSWORD).status()).isEqualTo(401);
        assertThat(new Browser(server.baseUrl()).login("reset@example.com", newPassword).status()).isEqualTo(200);

        anon.post("/v1/password-resets", Map.of("email", "reset@example.com"));
        String stale = IdentityKit.lastToken(server, "reset@example.com");
        IdentityKit.sql(server, "UPDATE password_resets SET expires_at = now() - interval '1 second' WHERE used_at IS NULL");
        assertThat(anon.post("/v1/password-resets/confirm", Map.of("token", stale, "password", newPassword + "x"))
                .errorCode()).isEqualTo("token_expired");
    }

    @Test
    void resetRequestsAreThrottledPerAddress() {
        Browser anon = new Browser(server.baseUrl());
        int accepted = 0;
        for (int i = 0; i < PasswordResets.REQUESTS_PER_IP + 2; i++) {
            var r = anon.post("/v1/password-resets", Map.of("email", "flood" + i + "@example.com"));
            if (r.status() == 202) {
                accepted++;
            } else {
                assertThat(r.status()).isEqualTo(429);
            }
        }
        assertThat(accepted).isLessThanOrEqualTo(PasswordResets.REQUESTS_PER_IP);
        IdentityKit.sql(server, "DELETE FROM login_failures WHERE key LIKE 'reset:%'");
    }

    /** Whether any column of the table holds the token's text (it must not: only HMACs are stored). */
    static boolean tableHolds(String table, String token) {
        return server.db().read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM " + table + " t WHERE t::text LIKE ?")) {
                ps.setString(1, "%" + token.substring(4) + "%");
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getLong(1) > 0;
                }
            }
        });
    }
}
