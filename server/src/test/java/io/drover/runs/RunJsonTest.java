package io.drover.runs;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.http.Json;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The streamed run JSON of the hot answers must be byte for byte what the tree path writes. */
class RunJsonTest {

    private static Run run(boolean full) {
        Instant t = Instant.parse("2026-11-22T04:24:25.584123Z");
        return new Run(UUID.randomUUID(), UUID.randomUUID(), UUID.randomUUID(), "job-\u00e9\"x", 3, "q", "worker",
                RunStatus.EXECUTING, true, full, 2, 5, -7,
                full ? "{\"a\": [1, 2.5, \"\\u00e9\\n\"], \"b\": null}" : null, "{}",
                full ? "{\"ok\": true}" : null, full ? "{\"type\": \"E\", \"message\": \"m\"}" : null,
                full ? "key \u2603" : null, full ? "ck" : null, full ? "w-1" : null,
                t, full ? t.plusMillis(1) : null, full ? t.plusSeconds(30) : null, full ? t.plusSeconds(60) : null,
                full ? t.plusSeconds(90) : null, full ? 60 : null, full ? UUID.randomUUID() : null,
                full ? UUID.randomUUID() : null, t, full ? t.plusNanos(1) : null, full ? t.plusSeconds(2) : null,
                full ? UUID.randomUUID() : null, full ? "step \"a\"" : null);
    }

    @Test
    void streamedAnswerEqualsTheTreeAnswer() {
        List<Run> runs = List.of(run(true), run(false), run(true));
        var tree = Json.object();
        var arr = tree.putArray("data");
        runs.forEach(r -> arr.add(r.toJson()));

        String streamed = new String(Run.dataJson(runs), StandardCharsets.UTF_8);

        assertThat(streamed).isEqualTo(new String(Json.bytes(tree), StandardCharsets.UTF_8));
        assertThat(Json.read(streamed)).isEqualTo(Json.read(new String(Json.bytes(tree), StandardCharsets.UTF_8)));
    }

    @Test
    void noRunsIsAnEmptyList() {
        assertThat(new String(Run.dataJson(List.of()), StandardCharsets.UTF_8)).isEqualTo("{\"data\":[]}");
    }
}
