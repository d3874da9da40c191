package io.drover.runs;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.testing.TestClock;
import io.drover.testing.TestServer;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The time-driven transitions on a clock the test moves: a lease, a TTL and a delay of minutes run
 * out when the test says so, and one pass of the background service ({@code runOnce}) handles them,
 * with no real waiting. The services' own loops wait an hour between passes here.
 */
class TestClockTest {
    static final TestClock clock = new TestClock();
    static TestServer server;
    RunFixture fx;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of("DROVER_REAPER_INTERVAL_MS", "3600000", "DROVER_POLL_INTERVAL_MS", "3600000",
                "DROVER_PUSH_ENABLED", "false"), clock);
    }

    @org.junit.jupiter.api.BeforeEach
    void realTime() {
        clock.reset(); // rows the database stamps (created, claimed) carry the real time
        fx = new RunFixture(server);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void anExpiredLeaseIsReapedWhenTheClockPassesIt() throws Exception {
        fx.job("lease-clock", Map.of("max_attempts", 2));
        String id = fx.triggerId("lease-clock");
        fx.claimOnly("w", "lease-clock", id, 600_000); // a ten-minute lease
        server.server().reaper().runOnce();
        assertThat(fx.status(id)).as("the lease has not run out").isEqualTo("executing");
        clock.advance(Duration.ofMinutes(11));
        server.server().reaper().runOnce();
        assertThat(fx.status(id)).isEqualTo("delayed");
        assertThat(fx.typedChain(id)).last().isEqualTo("attempt_crashed:executing->delayed");
    }

    @Test
    void aRunWhoseTtlPassedIsExpired() throws Exception {
        fx.job("ttl-clock", Map.of("ttl_secs", 600));
        String id = fx.triggerId("ttl-clock");
        server.server().reaper().runOnce();
        assertThat(fx.status(id)).isEqualTo("queued");
        clock.advance(Duration.ofMinutes(11));
        server.server().reaper().runOnce();
        assertThat(fx.status(id)).isEqualTo("expired");
    }

    @Test
    void anApiKeyStopsWorkingWhenTheClockPassesItsExpiry() {
        io.drover.testing.Api admin = new io.drover.testing.Api(server);
        var created = admin.post("/v1/api-keys", Map.of("name", "short-lived", "role", "viewer",
                "expires_at", clock.instant().plus(Duration.ofMinutes(10)).toString()));
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        io.drover.testing.Api viewer = admin.withKey(created.json().get("key").asText());
        assertThat(viewer.get("/v1/jobs").status()).isEqualTo(200);
        clock.advance(Duration.ofMinutes(11)); // past the expiry, and past the node's two-second key cache
        assertThat(viewer.get("/v1/jobs").status()).isEqualTo(401);
    }

    @Test
    void aDelayedRunIsPromotedWhenTheClockReachesIt() throws Exception {
        fx.job("delay-clock", Map.of());
        String id = fx.trigger("delay-clock", Map.of("delay_ms", 600_000)).get("id").asText();
        server.server().promoter().runOnce();
        assertThat(fx.status(id)).isEqualTo("delayed");
        clock.advance(Duration.ofMinutes(11));
        server.server().promoter().runOnce();
        assertThat(fx.status(id)).isEqualTo("queued");
    }

    @Test
    void aStandaloneApprovalExpiresWhenTheClockPassesItsExpiry() {
        io.drover.testing.Api api = new io.drover.testing.Api(server);
        var created = api.post("/v1/approvals", Map.of("action", "deploy", "expires_in_secs", 600));
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        String id = created.json().get("id").asText();
        server.server().workflowTimers().runOnce();
        assertThat(api.get("/v1/approvals/" + id).json().get("status").asText()).isEqualTo("pending");
        clock.advance(Duration.ofMinutes(11));
        server.server().workflowTimers().runOnce();
        assertThat(api.get("/v1/approvals/" + id).json().get("status").asText()).isEqualTo("expired");
    }

    @Test
    void aLoginLockoutEndsWhenTheClockPassesIt() {
        io.drover.testing.Api api = new io.drover.testing.Api(server).withKey(null);
        Map<String, Object> wrong = Map.of("email", "nobody-clock@example.com", "password", "not-the-password");
        int status = 0;
        for (int i = 0; i < 20 && status != 429; i++) {
            status = api.post("/v1/auth/login", wrong).status();
        }
        assertThat(status).as("locked out after repeated failures").isEqualTo(429);
        assertThat(api.post("/v1/auth/login", wrong).status()).isEqualTo(429);
        clock.advance(Duration.ofHours(2));
        assertThat(api.post("/v1/auth/login", wrong).status()).as("the lockout ran out on the moved clock")
                .isEqualTo(401);
    }

    @Test
    void aWorkflowSleepEndsWhenTheClockPassesIt() {
        io.drover.testing.Api api = new io.drover.testing.Api(server);
        assertThat(api.post("/v1/workflows", Map.of("slug", "nap-clock", "steps", java.util.List.of(
                Map.of("id", "nap", "type", "sleep", "duration_secs", 3600)))).status()).isEqualTo(201);
        var started = api.post("/v1/workflows/nap-clock/trigger", Map.of("input", Map.of()));
        assertThat(started.status()).as(started.text()).isIn(200, 201, 202);
        String id = started.json().get("id").asText();
        api.awaitStatus("/v1/workflow-runs/" + id, "waiting"); // asleep
        server.server().workflowTimers().runOnce();
        assertThat(api.get("/v1/workflow-runs/" + id).json().get("status").asText()).isEqualTo("waiting");
        clock.advance(Duration.ofMinutes(61));
        server.server().workflowTimers().runOnce();
        assertThat(api.get("/v1/workflow-runs/" + id).json().get("status").asText()).isEqualTo("completed");
    }
}
