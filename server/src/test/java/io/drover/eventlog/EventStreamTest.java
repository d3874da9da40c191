package io.drover.eventlog;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.testing.Api;
import io.drover.testing.TestServer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code GET /v1/stream} over HTTP: filters, resume, keep-alives, slow consumers, bad input, shutdown. */
class EventStreamTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    static TestServer server;
    static Api api;

    @BeforeAll
    static void start() {
        server = TestServer.start();
        api = new Api(server);
        assertThat(api.post("/v1/jobs", Map.of("slug", "streamed", "queue", "sq")).status()).isEqualTo(201);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static SseClient open(String path, Map<String, String> headers) {
        SseClient c = SseClient.open(server.baseUrl(), path, server.adminKey(), headers);
        assertThat(c.status).as(c.errorBody).isEqualTo(200);
        assertThat(c.contentType).startsWith("text/event-stream");
        return c;
    }

    private static String trigger() {
        var r = api.post("/v1/jobs/streamed/trigger", Map.of());
        assertThat(r.status()).as(r.text()).isEqualTo(201);
        return r.json().get("id").asText();
    }

    @Test
    void filtersByTypeAndResumesWithLastEventIdAndAfterWithoutGapOrRepeat() {
        List<String> runs = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        try (SseClient s = open("/v1/stream?types=run.created", Map.of())) {
            s.awaitComment("live", WAIT);
            for (int i = 0; i < 3; i++) {
                runs.add(trigger());
            }
            // claimed runs make run.claimed events, which this filter leaves out
            assertThat(api.post("/v1/worker/claim", Map.of("worker_id", "w", "queues", List.of("sq"), "max", 1))
                    .status()).isEqualTo(200);
            runs.add(trigger());
            for (String run : runs) {
                SseClient.Message m = s.nextEvent(WAIT);
                assertThat(m.event()).isEqualTo("run.created");
                assertThat(m.json().get("type").asText()).isEqualTo("run.created");
                assertThat(m.json().get("id").asText()).isEqualTo(m.id());
                assertThat(m.json().get("data").get("run_id").asText()).isEqualTo(run);
                assertThat(m.json().get("data").get("job_slug").asText()).isEqualTo("streamed");
                assertThat(m.json().get("data").get("to_status").asText()).isEqualTo("queued");
                if (!ids.isEmpty()) {
                    assertThat(m.id()).isGreaterThan(ids.get(ids.size() - 1));
                }
                ids.add(m.id());
            }
        }
        // Disconnected: two more runs; a reconnect with Last-Event-ID gets exactly those, then live ones.
        runs.add(trigger());
        runs.add(trigger());
        try (SseClient s = open("/v1/stream?types=run.created", Map.of("Last-Event-ID", ids.get(ids.size() - 1)))) {
            List<SseClient.Message> caughtUp = new ArrayList<>(s.awaitComment("live", WAIT));
            String live = trigger();
            while (caughtUp.size() < 3) {
                caughtUp.add(s.nextEvent(WAIT));
            }
            assertThat(caughtUp.stream().map(m -> m.json().get("data").get("run_id").asText()).toList())
                    .containsExactly(runs.get(4), runs.get(5), live);
        }
        // ?after= from the first id: everything after it, of every run.* type (claimed included), in order.
        try (SseClient s = open("/v1/stream?types=run.*&after=" + ids.get(0), Map.of())) {
            List<SseClient.Message> got = s.awaitComment("live", WAIT);
            assertThat(got).extracting(SseClient.Message::event).contains("run.created", "run.claimed")
                    .allMatch(t -> t.startsWith("run."));
            assertThat(got.get(0).json().get("data").get("run_id").asText()).isEqualTo(runs.get(1));
            List<String> gotIds = got.stream().map(SseClient.Message::id).toList();
            assertThat(gotIds).isSorted().doesNotHaveDuplicates().doesNotContain(ids.get(0));
        }
    }

    @Test
    void runEventsLeaveRedactedAsOnEveryOutlet() throws Exception {
        try (SseClient s = open("/v1/stream?types=run.attempt_failed", Map.of())) {
            s.awaitComment("live", WAIT);
            server.db().tx(c -> {
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO run_events (project_id, run_id, type, "
                        + "from_status, to_status, attempt, message, data) VALUES (?, ?, 'attempt_failed', 'executing', "
                        + "'queued', 1, 'password=hunter2', '{\"password\": \"hunter2\", \"kept\": 1}')")) {
                    ps.setObject(1, projectId(c));
                    ps.setObject(2, UUID.randomUUID());
                    return ps.executeUpdate();
                }
            });
            SseClient.Message m = s.nextEvent(WAIT);
            assertThat(m.data()).doesNotContain("hunter2");
            assertThat(m.json().get("data").get("data").get("kept").asInt()).isEqualTo(1);
            assertThat(m.json().get("data").get("data").get("password").asText()).isEqualTo("[REDACTED]");
        }
    }

    @Test
    void anIdleStreamGetsCommentLines() {
        server.server().eventStream().setKeepAliveMs(100);
        try (SseClient s = open("/v1/stream", Map.of())) {
            s.awaitComment("live", WAIT);
            s.awaitComment("keep-alive", WAIT);
            s.awaitComment("keep-alive", WAIT);
        } finally {
            server.server().eventStream().setKeepAliveMs(15_000);
        }
    }

    @Test
    void aConsumerThatFallsBehindIsCutOffWithAMessageNamingTheLastIdItGot() throws Exception {
        try (TestServer own = TestServer.start()) {
            own.server().eventStream().setBufferSize(5);
            Api ownApi = new Api(own);
            assertThat(ownApi.post("/v1/jobs", Map.of("slug", "slow", "queue", "slowq")).status()).isEqualTo(201);
            try (SseClient s = SseClient.open(own.baseUrl(), "/v1/stream", own.adminKey(), Map.of())) {
                s.awaitComment("live", WAIT);
                String first = ownApi.post("/v1/jobs/slow/trigger", Map.of()).json().get("id").asText();
                SseClient.Message got = s.nextEvent(WAIT);
                assertThat(got.json().get("data").get("run_id").asText()).isEqualTo(first);
                // 20 events in one transaction: one batch, more than the 5 a connection may have waiting
                own.db().tx(c -> {
                    insertRunEvents(c, projectId(c), 20);
                    return null;
                });
                SseClient.Message cut = s.nextEvent(WAIT);
                assertThat(cut.event()).isEqualTo("error");
                assertThat(cut.id()).isNull();
                assertThat(cut.json().get("error").get("code").asText()).isEqualTo("slow_consumer");
                assertThat(cut.json().get("error").get("message").asText()).contains("Last-Event-ID");
                assertThat(cut.json().get("error").get("details").get("last_event_id").asText()).isEqualTo(got.id());
                assertThat(s.next(WAIT).eof()).as("the stream ends").isTrue();
                // resuming from the id it names gets the 20 in pages, then the live tail
                try (SseClient again = SseClient.open(own.baseUrl(), "/v1/stream", own.adminKey(),
                        Map.of("Last-Event-ID", got.id()))) {
                    assertThat(again.awaitComment("live", WAIT)).hasSize(20);
                }
            }
        }
    }

    @Test
    void badInputIs400AndNoKeyIs401() {
        for (String path : List.of("/v1/stream?types=Run.Created", "/v1/stream?types=run.*.x", "/v1/stream?after=zz",
                "/v1/stream?after=" + "0".repeat(32))) {
            var a = api.get(path);
            assertThat(a.status()).as(path).isEqualTo(400);
            assertThat(a.errorCode()).as(a.text()).isIn("invalid_parameter", "invalid_cursor");
            assertThat(a.json().get("error").get("message").asText()).isNotBlank();
        }
        SseClient badHeader = SseClient.open(server.baseUrl(), "/v1/stream", server.adminKey(),
                Map.of("Last-Event-ID", "not-an-id"));
        assertThat(badHeader.status).isEqualTo(400);
        assertThat(badHeader.errorBody).contains("invalid_cursor").contains("Last-Event-ID");
        SseClient anonymous = SseClient.open(server.baseUrl(), "/v1/stream", null, Map.of());
        assertThat(anonymous.status).isEqualTo(401);
    }

    @Test
    void serverShutdownEndsOpenStreams() {
        TestServer own = TestServer.start();
        try (SseClient s = SseClient.open(own.baseUrl(), "/v1/stream", own.adminKey(), Map.of())) {
            s.awaitComment("live", WAIT);
            own.close();
            s.awaitComment("server shutting down", WAIT);
            assertThat(s.next(WAIT).eof()).isTrue();
        }
    }

    static UUID projectId(Connection c) throws java.sql.SQLException {
        try (var st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT id FROM projects LIMIT 1")) {
            rs.next();
            return rs.getObject(1, UUID.class);
        }
    }

    static void insertRunEvents(Connection c, UUID project, int n) throws java.sql.SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO run_events (project_id, run_id, type, "
                + "from_status, to_status, attempt) VALUES (?, ?, 'created', NULL, 'queued', 0)")) {
            for (int i = 0; i < n; i++) {
                ps.setObject(1, project);
                ps.setObject(2, UUID.randomUUID());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }
}
