package io.drover.ui;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.testing.Api;
import io.drover.testing.DroverTest;
import io.drover.testing.TestClock;
import io.drover.testing.TestServer;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The first owner without SMTP or SQL: the one-time setup link printed on a start with no user
 * (24 h, single use, stored hashed), and {@code drover users create} for the first owner and recovery.
 */
@DroverTest(lifecycle = DroverTest.Lifecycle.PER_METHOD)
class FirstOwnerTest {
    static final String STRONG = "correct horse battery staple 42";
    TestServer server;

    static String path(String url) {
        return url.substring(url.indexOf("/ui/setup"));
    }

    static String token(String url) {
        return url.substring(url.indexOf("token=") + 6);
    }

    @Test
    void theSetupLinkMakesTheFirstOwnerOnceAndIsStoredHashed() {
        String url = server.server().setupUrl();
        assertThat(url).as("a start with no user prints the link").contains("/ui/setup?token=drs1_");
        String token = token(url);
        Long stored = server.db().read(c -> {
            try (var ps = c.prepareStatement("SELECT count(*) FROM setup_tokens WHERE position(convert_to(?, 'UTF8')"
                    + " in token_hash) > 0 OR encode(token_hash, 'escape') LIKE '%' || ? || '%'")) {
                ps.setString(1, token);
                ps.setString(2, token);
                try (var rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        });
        assertThat(stored).as("the token itself is not in the table").isZero();

        UiClient b = new UiClient(server.baseUrl());
        var form = b.get(path(url));
        assertThat(form.status()).isEqualTo(200);
        assertThat(form.body()).contains("Create the first owner").contains("name=\"password_again\"");
        var weak = b.post("/ui/setup", Map.of("token", token, "email", "ada@example.com", "password", "password1",
                "password_again", "password1"), Map.of());
        assertThat(weak.status()).isEqualTo(422);
        assertThat(weak.body()).contains("password");
        var differ = b.post("/ui/setup", Map.of("token", token, "email", "ada@example.com", "password", STRONG,
                "password_again", STRONG + "x"), Map.of());
        assertThat(differ.status()).isEqualTo(400);
        var made = b.post("/ui/setup", Map.of("token", token, "email", "ada@example.com", "password", STRONG,
                "password_again", STRONG), Map.of());
        assertThat(made.status()).as(made.body()).isEqualTo(303);
        assertThat(made.header("Location")).isEqualTo("/ui/");
        var home = b.get("/ui/");
        assertThat(home.status()).isEqualTo(200);
        assertThat(home.body()).contains("ada@example.com").contains("data-role=\"owner\"");

        // single use, and no second owner by another link either
        UiClient other = new UiClient(server.baseUrl());
        assertThat(other.get(path(url)).status()).isEqualTo(410);
        var reuse = other.post("/ui/setup", Map.of("token", token, "email", "eve@example.com", "password", STRONG,
                "password_again", STRONG), Map.of());
        assertThat(reuse.status()).isEqualTo(410);
        var me = new Api(server).get("/v1/projects/default/members");
        assertThat(me.text()).contains("ada@example.com").doesNotContain("eve@example.com");
        assertThat(me.text()).contains("\"owner\"");
        var audit = new Api(server).get("/v1/audit-events?limit=100");
        assertThat(audit.text()).doesNotContain(token);
    }

    @Test
    void aStartWithAUserPrintsNoLinkAndUnknownTokensAreGone() {
        assertThat(UiKit.usersCreate(server, STRONG, "--email", "root@example.com", "--role", "owner",
                "--password-stdin")).isZero();
        UiClient b = new UiClient(server.baseUrl());
        assertThat(b.get(path(server.server().setupUrl())).status()).isEqualTo(410);
        assertThat(b.get("/ui/setup?token=drs1_unknown").status()).isEqualTo(410);
        assertThat(b.get("/ui/setup").status()).isEqualTo(410);
        try (TestServer second = TestServer.startOn(server.jdbcUrl(), Map.of())) {
            assertThat(second.server().setupUrl()).isNull();
        }
        assertThat(b.signIn("root@example.com", STRONG).status()).isEqualTo(303);
    }

    @Test
    void theLinkExpiresAfter24Hours() {
        TestClock clock = new TestClock();
        try (TestServer timed = TestServer.startOn(server.jdbcUrl(), Map.of(), clock)) {
            String url = timed.server().setupUrl();
            UiClient b = new UiClient(timed.baseUrl());
            clock.advance(Duration.ofHours(23));
            assertThat(b.get(path(url)).status()).isEqualTo(200);
            clock.advance(Duration.ofHours(2));
            assertThat(b.get(path(url)).status()).isEqualTo(410);
            var late = b.post("/ui/setup", Map.of("token", token(url), "email", "late@example.com", "password",
                    STRONG, "password_again", STRONG), Map.of());
            assertThat(late.status()).isEqualTo(410);
        }
    }

    @Test
    void usersCreateMakesAnOwnerAndRecoversAPassword() {
        assertThat(UiKit.usersCreate(server, STRONG, "--email", "ops@example.com", "--role", "owner",
                "--password-stdin")).isZero();
        UiClient b = new UiClient(server.baseUrl());
        assertThat(b.signIn("ops@example.com", STRONG).status()).isEqualTo(303);
        // recovery: the same email with a new password
        String newer = "another long passphrase 77 blue";
        assertThat(UiKit.usersCreate(server, newer, "--email", "OPS@example.com", "--role", "owner",
                "--password-stdin")).isZero();
        assertThat(new UiClient(server.baseUrl()).signIn("ops@example.com", STRONG).status()).isEqualTo(401);
        assertThat(new UiClient(server.baseUrl()).signIn("ops@example.com", newer).status()).isEqualTo(303);
        // refused: a weak password, a bad role, an unknown project, no password; nothing made
        assertThat(UiKit.usersCreate(server, "short", "--email", "w@example.com", "--role", "owner",
                "--password-stdin")).isEqualTo(1);
        assertThat(UiKit.usersCreate(server, STRONG, "--email", "w@example.com", "--role", "king",
                "--password-stdin")).isEqualTo(2);
        assertThat(UiKit.usersCreate(server, STRONG, "--email", "w@example.com", "--role", "owner",
                "--project", "nope", "--password-stdin")).isEqualTo(1);
        assertThat(UiKit.usersCreate(server, "", "--email", "w@example.com", "--role", "owner",
                "--password-stdin")).isEqualTo(2);
        assertThat(UiKit.usersCreate(server, STRONG, "--email", "not-an-email", "--role", "owner",
                "--password-stdin")).isEqualTo(1);
        assertThat(new Api(server).get("/v1/projects/default/members").text()).doesNotContain("w@example.com");
    }
}
