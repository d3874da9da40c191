package io.drover.agents;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.testing.Api;
import io.drover.testing.Await;
import io.drover.testing.TestClock;
import io.drover.testing.TestServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Commands over the long-poll: a parked poll wakes at once when a command is made, on this node
 * (in-process signal) and on another node (NOTIFY); ack and result move it pending -> acked ->
 * succeeded/failed; the liveness pass expires it after its TTL; illegal requests are 4xx.
 */
class AgentCommandsTest {
    static final TestClock clock = new TestClock();
    static TestServer server;
    static Api api;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of(), clock);
        server.server().agentLiveness().stop(); // passes run by the test, after moving the clock
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

    /** An agent with one failed task (f-1), one started task (s-1) and one schedule (nightly). */
    private static AgentKit.Registered agent(String name, List<String> capabilities) {
        AgentKit.Registered a = AgentKit.register(server, api, name);
        assertThat(AgentKit.hello(a, capabilities).status()).isEqualTo(200);
        AgentKit.events(a, List.of(AgentKit.event(1, "task_failed", "f-1", Map.of()),
                AgentKit.event(2, "task_started", "s-1", Map.of())));
        assertThat(a.api().post("/v1/agent/schedules", Map.of("schedules", List.of(Map.of("name", "nightly"))))
                .status()).isEqualTo(200);
        return a;
    }

    private static String taskId(AgentKit.Registered a, String external) {
        return AgentKit.task(api, a, external).get("id").asText();
    }

    private static CompletableFuture<Api.Answer> poll(Api agent, long waitMs) {
        return CompletableFuture.supplyAsync(() -> agent.get("/v1/agent/commands?wait_ms=" + waitMs));
    }

    @Test
    void aParkedPollWakesAtOnceWhenACommandIsMade() throws Exception {
        AgentKit.Registered a = agent("cmd-wake", List.of());
        UUID agentId = UUID.fromString(a.id());
        CompletableFuture<Api.Answer> parked = poll(a.api(), 20_000);
        Await.until("the poll to park", Duration.ofSeconds(10),
                () -> server.server().agentCommands().signal().parked(agentId) == 1);
        long made = System.nanoTime();
        var cmd = api.post("/v1/tasks/" + taskId(a, "f-1") + "/retry", Map.of());
        assertThat(cmd.status()).as(cmd.text()).isEqualTo(202);
        assertThat(cmd.json().get("type").asText()).isEqualTo("retry");
        assertThat(cmd.json().get("status").asText()).isEqualTo("pending");
        Api.Answer got = parked.get(5, TimeUnit.SECONDS);
        long ms = (System.nanoTime() - made) / 1_000_000;
        assertThat(ms).as("woken, not timed out").isLessThan(2_000);
        JsonNode data = got.json().get("data");
        assertThat(data).hasSize(1);
        assertThat(data.get(0).get("id").asText()).isEqualTo(cmd.json().get("id").asText());
        assertThat(data.get(0).get("target").asText()).isEqualTo("f-1");
        assertThat(data.get(0).get("args").get("engine").asText()).isEqualTo("quartz");
    }

    @Test
    void aCommandMadeOnAnotherNodeWakesThePollThroughNotify() throws Exception {
        AgentKit.Registered a = agent("cmd-notify", List.of());
        UUID agentId = UUID.fromString(a.id());
        try (TestServer other = TestServer.startOn(server.jdbcUrl(), Map.of())) {
            Api onOther = new Api(other.baseUrl(), a.token());
            CompletableFuture<Api.Answer> parked = poll(onOther, 20_000);
            Await.until("the poll to park on the other node", Duration.ofSeconds(10),
                    () -> other.server().agentCommands().signal().parked(agentId) == 1);
            long made = System.nanoTime();
            var cmd = api.post("/v1/tasks/" + taskId(a, "s-1") + "/cancel", Map.of());
            assertThat(cmd.status()).isEqualTo(202);
            Api.Answer got = parked.get(5, TimeUnit.SECONDS);
            assertThat((System.nanoTime() - made) / 1_000_000).as("woken by NOTIFY").isLessThan(2_000);
            assertThat(got.json().get("data").get(0).get("type").asText()).isEqualTo("cancel");
        }
    }

    @Test
    void ackThenResultAndEachStepOnce() {
        AgentKit.Registered a = agent("cmd-ack", List.of("retry", "cancel"));
        String id = api.post("/v1/tasks/" + taskId(a, "f-1") + "/retry", Map.of()).json().get("id").asText();
        assertThat(a.api().get("/v1/agent/commands").json().get("data")).hasSize(1);
        var acked = a.api().post("/v1/agent/commands/" + id + "/ack", Map.of());
        assertThat(acked.status()).isEqualTo(200);
        assertThat(acked.json().get("status").asText()).isEqualTo("acked");
        assertThat(a.api().post("/v1/agent/commands/" + id + "/ack", Map.of()).status()).as("ack again: no-op")
                .isEqualTo(200);
        assertThat(a.api().get("/v1/agent/commands").json().get("data")).as("an acked command is not handed out")
                .isEmpty();
        var done = a.api().post("/v1/agent/commands/" + id + "/result", Map.of("ok", true, "message", "requeued"));
        assertThat(done.json().get("status").asText()).isEqualTo("succeeded");
        JsonNode seen = api.get("/v1/commands/" + id).json();
        assertThat(seen.get("status").asText()).isEqualTo("succeeded");
        assertThat(seen.get("message").asText()).isEqualTo("requeued");
        assertThat(seen.get("acked_at").isNull()).isFalse();
        assertThat(seen.get("finished_at").isNull()).isFalse();
        assertThat(a.api().post("/v1/agent/commands/" + id + "/result", Map.of("ok", true)).status())
                .as("the same result again: no-op").isEqualTo(200);
        var changed = a.api().post("/v1/agent/commands/" + id + "/result", Map.of("ok", false));
        assertThat(changed.status()).isEqualTo(409);
        assertThat(changed.errorCode()).isEqualTo("command_finished");
        assertThat(a.api().post("/v1/agent/commands/" + id + "/ack", Map.of()).status()).isEqualTo(409);
        assertThat(a.api().post("/v1/agent/commands/" + id + "/result", Map.of("message", "x")).status())
                .isEqualTo(422);

        // a failure straight from pending
        String cancel = api.post("/v1/tasks/" + taskId(a, "s-1") + "/cancel", Map.of()).json().get("id").asText();
        var failed = a.api().post("/v1/agent/commands/" + cancel + "/result", Map.of("ok", false,
                "message", "the engine cannot interrupt a running job"));
        assertThat(failed.json().get("status").asText()).isEqualTo("failed");
        assertThat(AgentKit.count(server, "SELECT count(*) FROM audit_log WHERE action = 'agent_command.create' "
                + "AND target_id IN (?, ?)", id, cancel)).isEqualTo(2);
    }

    @Test
    void aCommandNotFinishedWithinItsTtlExpires() {
        AgentKit.Registered a = agent("cmd-expire", List.of());
        String pending = api.post("/v1/tasks/" + taskId(a, "f-1") + "/retry", Map.of()).json().get("id").asText();
        String acked = api.post("/v1/agents/" + a.id() + "/schedules/nightly/pause", Map.of()).json().get("id")
                .asText();
        a.api().post("/v1/agent/commands/" + acked + "/ack", Map.of());
        clock.advance(Duration.ofMillis(Commands.DEFAULT_TTL_MS - 1));
        server.server().agentLiveness().pass(); // (other tests' older commands may expire here)
        assertThat(api.get("/v1/commands/" + pending).json().get("status").asText()).isEqualTo("pending");
        assertThat(api.get("/v1/commands/" + acked).json().get("status").asText()).isEqualTo("acked");
        clock.advance(Duration.ofMillis(1));
        assertThat(server.server().agentLiveness().pass().expired()).isEqualTo(2);
        assertThat(api.get("/v1/commands/" + pending).json().get("status").asText()).isEqualTo("expired");
        assertThat(api.get("/v1/commands/" + acked).json().get("status").asText()).isEqualTo("expired");
        var late = a.api().post("/v1/agent/commands/" + acked + "/result", Map.of("ok", true));
        assertThat(late.status()).isEqualTo(409);
        assertThat(late.errorCode()).isEqualTo("command_expired");
        assertThat(a.api().get("/v1/agent/commands").json().get("data")).isEmpty();
    }

    @Test
    void illegalCommandsAreRefused() {
        AgentKit.Registered a = agent("cmd-illegal", List.of("retry", "pause_schedule"));
        var cancelFinished = api.post("/v1/tasks/" + taskId(a, "f-1") + "/cancel", Map.of());
        assertThat(cancelFinished.status()).isEqualTo(409);
        assertThat(cancelFinished.errorCode()).isEqualTo("illegal_state");
        assertThat(api.post("/v1/tasks/" + taskId(a, "s-1") + "/retry", Map.of()).errorCode())
                .isEqualTo("illegal_state");
        var resume = api.post("/v1/agents/" + a.id() + "/schedules/nightly/resume", Map.of());
        assertThat(resume.status()).as("not among its capabilities").isEqualTo(409);
        assertThat(resume.errorCode()).isEqualTo("not_supported");
        assertThat(api.post("/v1/agents/" + a.id() + "/schedules/nightly/pause", Map.of()).status()).isEqualTo(202);
        assertThat(api.post("/v1/agents/" + a.id() + "/schedules/weekly/pause", Map.of()).status()).isEqualTo(404);
        assertThat(api.post("/v1/tasks/" + UUID.randomUUID() + "/retry", Map.of()).status()).isEqualTo(404);
        assertThat(api.post("/v1/tasks/" + taskId(a, "f-1") + "/retry", Map.of("force", true)).status())
                .isEqualTo(422);
        assertThat(a.api().post("/v1/agent/commands/" + UUID.randomUUID() + "/ack", Map.of()).status())
                .isEqualTo(404);
    }
}
