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
                full ? UUID.randomUUID() : null, full ? "step \"a\"" : null, null, null, null, null, full ? 1234L : null,
                full ? "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" : null);
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
    void timesAreWrittenAsInstantToStringWritesThem() {
        java.util.Random random = new java.util.Random(42);
        List<Instant> samples = new java.util.ArrayList<>(List.of(Instant.EPOCH, Instant.parse("2026-11-22T04:24:25Z"),
                Instant.parse("2026-11-22T04:24:25.100Z"), Instant.parse("2026-11-22T04:24:25.000100Z"),
                Instant.parse("2026-11-22T04:24:25.000000001Z"), Instant.parse("2024-02-29T23:59:59.999999999Z"),
                Instant.parse("0001-01-01T00:00:00Z"), Instant.parse("9999-12-31T23:59:59.999Z"),
                Instant.parse("1969-12-31T23:59:59.5Z"), Instant.parse("0000-12-31T23:59:59Z"),
                Instant.parse("+10000-01-01T00:00:00Z"), Instant.MIN, Instant.MAX));
        for (int i = 0; i < 20_000; i++) {
            long secs = random.nextLong(-70_000_000_000L, 260_000_000_000L);
            int nanos = switch (i % 4) {
                case 0 -> 0;
                case 1 -> random.nextInt(1000) * 1_000_000;
                case 2 -> random.nextInt(1_000_000) * 1000;
                default -> random.nextInt(1_000_000_000);
            };
            samples.add(Instant.ofEpochSecond(secs, nanos));
        }
        char[] buf = new char[30];
        for (Instant t : samples) {
            int n = Run.rfc3339(t, buf);
            if (n >= 0) {
                assertThat(new String(buf, 0, n)).as("%s", t).isEqualTo(t.toString());
            } else {
                // years outside 1..9999 are left to Instant.toString
                assertThat(t.getEpochSecond() < -62_135_596_800L || t.getEpochSecond() >= 253_402_300_800L).as("%s", t)
                        .isTrue();
            }
        }
    }

    @Test
    void noRunsIsAnEmptyList() {
        assertThat(new String(Run.dataJson(List.of()), StandardCharsets.UTF_8)).isEqualTo("{\"data\":[]}");
    }
}
