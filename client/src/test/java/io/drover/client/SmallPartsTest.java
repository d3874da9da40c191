package io.drover.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SmallPartsTest {

    @Test
    void errorInfoCarriesClassNameMessageAndFullStackTrace() {
        ErrorInfo info = ErrorInfo.from(new IllegalStateException("outer", new java.io.IOException("inner")));

        assertThat(info.type()).isEqualTo("java.lang.IllegalStateException");
        assertThat(info.message()).isEqualTo("outer");
        assertThat(info.stacktrace()).contains("SmallPartsTest").contains("Caused by: java.io.IOException: inner");
    }

    @Test
    void errorInfoCutsHugeStackTraces() {
        ErrorInfo info = ErrorInfo.from(new RuntimeException("x".repeat(ErrorInfo.MAX_STACKTRACE_CHARS * 2)));

        assertThat(info.stacktrace().length()).isLessThan(ErrorInfo.MAX_STACKTRACE_CHARS + 100);
        assertThat(info.message().length()).isLessThan(ErrorInfo.MAX_MESSAGE_CHARS + 100);
    }

    @Test
    void nonRetryableIsFoundAnywhereInTheCauseChain() {
        assertThat(RunExecutor.isNonRetryable(new NonRetryableException("bad"))).isTrue();
        assertThat(RunExecutor.isNonRetryable(new RuntimeException(new NonRetryableException("bad")))).isTrue();
        assertThat(RunExecutor.isNonRetryable(new UncheckedIOException(new java.io.IOException("net")))).isFalse();
    }

    @Test
    void pathsEncodeSegmentsAndSkipNullQueryParameters() {
        assertThat(Paths.seg("a b/c")).isEqualTo("a%20b%2Fc");
        assertThat(Paths.query("job", "send-email", "status", RunStatus.DEAD_LETTER, "cursor", null, "limit", 10))
                .isEqualTo("?job=send-email&status=dead_letter&limit=10");
        assertThat(Paths.query("cursor", null)).isEmpty();
        assertThatThrownBy(() -> Paths.seg("")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void backoffGrowsToItsCapAndResets() {
        Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(2));

        assertThat(backoff.next().toMillis()).isBetween(50L, 100L);
        for (int i = 0; i < 10; i++) {
            backoff.next();
        }
        assertThat(backoff.next().toMillis()).isBetween(1000L, 2000L);
        backoff.reset();
        assertThat(backoff.next().toMillis()).isBetween(50L, 100L);
    }

    @Test
    void clientFromEnvDefaultsToLocalhost() {
        try (DroverClient client = DroverClient.fromEnv(Map.of())) {
            assertThat(client.baseUrl()).isEqualTo("http://localhost:7070");
        }
        try (DroverClient client = DroverClient.fromEnv(Map.of("DROVER_URL", "http://drover:9000/"))) {
            assertThat(client.baseUrl()).isEqualTo("http://drover:9000");
        }
    }

    @Test
    void workerSettingsAreCheckedWithActionableMessages() {
        DroverClient client = DroverClient.builder().build();
        assertThatThrownBy(() -> Worker.builder().client(client).build())
                .hasMessageContaining("at least one handler");
        assertThatThrownBy(() -> Worker.builder().client(client).handler("a", (c, p) -> null)
                .lease(Duration.ofSeconds(3)).heartbeatInterval(Duration.ofSeconds(5)).build())
                .hasMessageContaining("heartbeatInterval must be shorter than the lease");
        assertThatThrownBy(() -> Worker.builder().client(client).handler("a", (c, p) -> null)
                .claimWait(Duration.ofSeconds(60)).build())
                .hasMessageContaining("claimWait");
        assertThatThrownBy(() -> Worker.builder().handler("a", (c, p) -> null).handler("a", (c, p) -> null))
                .hasMessageContaining("already registered");
    }

    @Test
    void workerDefaults() {
        Worker worker = Worker.builder().client(DroverClient.builder().build()).handler("a", (c, p) -> null).build();

        WorkerConfig config = worker.config();
        assertThat(config.queues()).isEqualTo(List.of("default"));
        assertThat(config.concurrency()).isEqualTo(8);
        assertThat(config.heartbeatInterval()).isEqualTo(Duration.ofSeconds(10));
        assertThat(config.workerId()).matches(".+-\\d+-[0-9a-f]+");
        worker.close(); // never started: a no-op
        worker.close();
    }
}
