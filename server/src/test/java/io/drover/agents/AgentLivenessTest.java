package io.drover.agents;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.testing.Api;
import io.drover.testing.TestClock;
import io.drover.testing.TestServer;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Liveness on a clock the test moves: online, degraded at an error rate of 0.5 (and back only
 * below 0.1), offline after offline_after_ms without a heartbeat, found by the singleton pass, and
 * each change an agent.* event at the time it happened.
 */
class AgentLivenessTest {
    static final TestClock clock = new TestClock();
    static TestServer server;
    static Api api;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of("DROVER_AGENT_HEARTBEAT_MS", "1000"), clock);
        server.server().agentLiveness().stop(); // the test runs the passes itself, after moving the clock
        api = new Api(server);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @BeforeEach
    void realTime() {
        clock.reset();
    }

    private static String beat(AgentKit.Registered a, double errorRate) {
        var r = a.api().post("/v1/agent/heartbeat", Map.of("error_rate", errorRate));
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        return r.json().get("state").asText();
    }

    private static List<String> events(AgentKit.Registered a) {
        return AgentKit.strings(server, "SELECT type FROM log_events WHERE data ->> 'agent_id' = ? ORDER BY seq",
                a.id());
    }

    @Test
    void degradedAtHalfTheCallsFailingAndOnlineAgainOnlyBelowATenth() {
        AgentKit.Registered a = AgentKit.register(server, api, "live-degraded");
        assertThat(AgentKit.hello(a, List.of()).json().get("offline_after_ms").asLong()).isEqualTo(3000);
        assertThat(beat(a, 0.49)).isEqualTo("online");
        assertThat(beat(a, 0.5)).isEqualTo("degraded");
        assertThat(beat(a, 0.3)).as("between the thresholds it stays degraded").isEqualTo("degraded");
        assertThat(beat(a, 0.1)).isEqualTo("degraded");
        assertThat(beat(a, 0.09)).isEqualTo("online");
        assertThat(beat(a, 0.3)).as("between the thresholds it stays online").isEqualTo("online");
        assertThat(events(a)).containsExactly("agent.online", "agent.degraded", "agent.online");
        assertThat(api.get("/v1/agents?state=online").json().get("data").toString()).contains(a.id());
    }

    @Test
    void offlineAfterThreeIntervalsWithoutAHeartbeatAtTheTimeItHappened() {
        AgentKit.Registered a = AgentKit.register(server, api, "live-offline");
        AgentKit.hello(a, List.of());
        clock.advance(Duration.ofMillis(500));
        assertThat(beat(a, 0.0)).isEqualTo("online");
        Instant lastSeen = Instant.parse(api.get("/v1/agents/" + a.id()).json().get("last_seen_at").asText());
        assertThat(Duration.between(lastSeen, clock.instant()).abs()).as("the test clock's time")
                .isLessThan(Duration.ofMillis(1));

        clock.advance(Duration.ofMillis(2999));
        assertThat(server.server().agentLiveness().pass().offline()).isZero();
        assertThat(api.get("/v1/agents/" + a.id()).json().get("state").asText()).isEqualTo("online");

        clock.advance(Duration.ofMillis(1));
        var pass = server.server().agentLiveness().pass();
        assertThat(pass.offline()).isEqualTo(1);
        assertThat(api.get("/v1/agents/" + a.id()).json().get("state").asText()).isEqualTo("offline");
        assertThat(events(a)).containsExactly("agent.online", "agent.offline");
        assertThat(AgentKit.count(server, """
                SELECT count(*) FROM log_events e JOIN agents a ON a.id::text = e.data ->> 'agent_id'
                WHERE e.type = 'agent.offline' AND a.id = ?::uuid
                  AND e.occurred_at = a.last_seen_at + interval '3 seconds'
                  AND e.occurred_at = ?::timestamptz""", a.id(), lastSeen.plusMillis(3000).toString()))
                .as("the event carries the time the agent went offline, not the pass's").isEqualTo(1);
        // found once: the next pass has nothing to do
        clock.advance(Duration.ofMinutes(5));
        assertThat(server.server().agentLiveness().pass().offline()).isZero();

        // a heartbeat brings it back, with its own event
        assertThat(beat(a, 0.0)).isEqualTo("online");
        assertThat(events(a)).containsExactly("agent.online", "agent.offline", "agent.online");
    }

    @Test
    void aDegradedAgentGoesOfflineTooAndComesBackDegradedWhenItsRateIsStillHigh() {
        AgentKit.Registered a = AgentKit.register(server, api, "live-both");
        AgentKit.hello(a, List.of());
        assertThat(beat(a, 0.8)).isEqualTo("degraded");
        clock.advance(Duration.ofSeconds(4));
        assertThat(server.server().agentLiveness().pass().offline()).isEqualTo(1);
        assertThat(api.get("/v1/agents/" + a.id()).json().get("state").asText()).isEqualTo("offline");
        assertThat(beat(a, 0.7)).isEqualTo("degraded");
        assertThat(events(a)).containsExactly("agent.online", "agent.degraded", "agent.offline", "agent.degraded");
    }

    @Test
    void anAgentThatNeverSaidHelloIsNeverMarkedOffline() {
        AgentKit.Registered a = AgentKit.register(server, api, "live-silent");
        clock.advance(Duration.ofHours(1));
        server.server().agentLiveness().pass();
        assertThat(api.get("/v1/agents/" + a.id()).json().get("state").asText()).isEqualTo("unknown");
        assertThat(events(a)).isEmpty();
    }
}
