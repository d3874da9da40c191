package io.drover.eventlog;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.testing.Api;
import io.drover.testing.Await;
import io.drover.testing.TestServer;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Two nodes on one database: one fence writer; a stream on either node gets the other node's events. */
class EventLogNodesTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void oneNodeWritesFencesAndEachNodesStreamGetsTheOthersEvents() {
        try (TestServer a = TestServer.start(); TestServer b = TestServer.startOn(a.jdbcUrl(), Map.of())) {
            Await.until("one fence writer", WAIT,
                    () -> a.server().fenceWriter().isLeader() || b.server().fenceWriter().isLeader());
            assertThat(a.server().fenceWriter().isLeader() && b.server().fenceWriter().isLeader()).isFalse();
            TestServer writer = a.server().fenceWriter().isLeader() ? a : b;
            TestServer other = writer == a ? b : a;
            Api onWriter = new Api(writer);
            Api onOther = new Api(other);
            assertThat(onWriter.post("/v1/jobs", Map.of("slug", "two", "queue", "tq")).status()).isEqualTo(201);
            try (SseClient onOtherStream = SseClient.open(other.baseUrl(), "/v1/stream?types=run.created",
                    other.adminKey(), Map.of());
                    SseClient onWriterStream = SseClient.open(writer.baseUrl(), "/v1/stream?types=run.created",
                            writer.adminKey(), Map.of())) {
                onOtherStream.awaitComment("live", WAIT);
                onWriterStream.awaitComment("live", WAIT);
                String fromWriter = onWriter.post("/v1/jobs/two/trigger", Map.of()).json().get("id").asText();
                String fromOther = onOther.post("/v1/jobs/two/trigger", Map.of()).json().get("id").asText();
                for (SseClient s : new SseClient[] {onOtherStream, onWriterStream}) {
                    assertThat(s.nextEvent(WAIT).json().get("data").get("run_id").asText()).isEqualTo(fromWriter);
                    assertThat(s.nextEvent(WAIT).json().get("data").get("run_id").asText()).isEqualTo(fromOther);
                }
            }
            // The writer goes: the other node takes over its lock and the log keeps moving.
            writer.close();
            Await.until("the other node writes fences", WAIT, () -> other.server().fenceWriter().isLeader());
            long before = other.db().read(c -> other.server().eventLog().head(c)).fence();
            onOther.post("/v1/jobs/two/trigger", Map.of());
            Await.until("a new fence", WAIT,
                    () -> other.db().read(c -> other.server().eventLog().head(c)).fence() > before);
        }
    }
}
