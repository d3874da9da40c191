package io.drover.identity;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.testing.Api;
import io.drover.testing.TestServer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Test helpers: people invited into projects through the real flows, tokens read from the outbox. */
final class IdentityKit {
    static final String PASSWORD = "correct horse battery staple 42";
    private static final Pattern TOKEN = Pattern.compile("\"token\": \"([^\"]+)\"");

    private IdentityKit() {}

    /** The newest mail to {@code email} in the outbox, and the token in it. */
    static String lastToken(TestServer server, String email) {
        return server.db().read(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT body FROM mail_outbox WHERE lower(recipient) = lower(?) ORDER BY id DESC LIMIT 1")) {
                ps.setString(1, email);
                try (ResultSet rs = ps.executeQuery()) {
                    assertThat(rs.next()).as("a mail to " + email).isTrue();
                    Matcher m = TOKEN.matcher(rs.getString(1));
                    assertThat(m.find()).isTrue();
                    return m.group(1);
                }
            }
        });
    }

    /** Invites {@code email} with {@code role} using {@code inviter}, accepts, and returns a signed-in browser. */
    static Browser member(TestServer server, Api inviter, String email, String role) {
        var inv = inviter.post("/v1/invitations", Map.of("email", email, "role", role));
        assertThat(inv.status()).as(inv.text()).isEqualTo(201);
        Browser b = new Browser(server.baseUrl());
        var accepted = b.post("/v1/invitations/accept", Map.of("token", lastToken(server, email), "password", PASSWORD));
        assertThat(accepted.status()).as(accepted.text()).isEqualTo(200);
        assertThat(b.login(email, PASSWORD).status()).isEqualTo(200);
        return b;
    }

    /** Same, with a browser (session + CSRF) as the inviter. */
    static Browser member(TestServer server, Browser inviter, String email, String role) {
        var inv = inviter.post("/v1/invitations", Map.of("email", email, "role", role));
        assertThat(inv.status()).as(inv.text()).isEqualTo(201);
        Browser b = new Browser(server.baseUrl());
        var accepted = b.post("/v1/invitations/accept", Map.of("token", lastToken(server, email), "password", PASSWORD));
        assertThat(accepted.status()).as(accepted.text()).isEqualTo(200);
        assertThat(b.login(email, PASSWORD).status()).isEqualTo(200);
        b.project = inviter.project;
        return b;
    }

    /** An API key of {@code role} created by {@code creator}. */
    static String key(Api creator, String role) {
        var k = creator.post("/v1/api-keys", Map.of("name", role + " key", "role", role));
        assertThat(k.status()).as(k.text()).isEqualTo(201);
        return k.json().get("key").asText();
    }

    static String key(Browser creator, String role) {
        var k = creator.post("/v1/api-keys", Map.of("name", role + " key", "role", role));
        assertThat(k.status()).as(k.text()).isEqualTo(201);
        return k.json().get("key").asText();
    }

    static void sql(TestServer server, String sql, Object... args) {
        server.db().read(c -> exec(c, sql, args));
    }

    static int exec(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            return ps.executeUpdate();
        }
    }
}
