package io.drover.runs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.drover.testing.Api;
import io.drover.testing.DroverTest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Event ids are derived from (created_at, seq) since V5 and must still be unique, well-formed UUIDv7s. */
@DroverTest(shared = true)
class RunEventIdTest {
    static Api api;

    @Test
    void derivedIdIsAUuidV7CarryingTheTimeAndTheSeq() {
        Instant at = Instant.parse("2026-11-22T07:15:30.123456Z");
        UUID id = RunEvent.derivedId(at, 42);

        assertThat(id.version()).isEqualTo(7);
        assertThat(id.variant()).isEqualTo(2);
        assertThat(id.getMostSignificantBits() >>> 16).isEqualTo(at.toEpochMilli());
        assertThat(id.getMostSignificantBits() & 0xFFF).isEqualTo(456L * 4096 / 1000);
        assertThat(id.getLeastSignificantBits() & ((1L << 62) - 1)).isEqualTo(42);
        assertThat(id.toString()).startsWith("01a2021c-2acb-7");
    }

    @Test
    void derivedIdsAreUniqueAndOrderedByTimeThenSeq() {
        Instant t = Instant.parse("2026-11-22T07:15:30Z");
        Set<UUID> seen = new HashSet<>();
        List<UUID> inOrder = new ArrayList<>();
        for (long seq = 1; seq <= 5_000; seq++) {
            // Many events share a millisecond, and created_at (now(), the transaction's start) can even
            // repeat across rows; seq alone keeps them apart.
            UUID id = RunEvent.derivedId(t.plus(Duration.ofNanos(seq / 10 * 1000)), seq);
            assertThat(seen.add(id)).as("unique at seq %d", seq).isTrue();
            inOrder.add(id);
        }
        assertThat(inOrder).isSortedAccordingTo((a, b) -> {
            int c = Long.compareUnsigned(a.getMostSignificantBits(), b.getMostSignificantBits());
            return c != 0 ? c : Long.compareUnsigned(a.getLeastSignificantBits(), b.getLeastSignificantBits());
        });
        assertThatThrownBy(() -> RunEvent.derivedId(t, -1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void eventsOfARunHaveDistinctV7IdsThroughTheApi() {
        api.post("/v1/jobs", Map.of("slug", "ids", "queue", "ids"));
        String id = api.post("/v1/jobs/ids/trigger", Map.of("payload", Map.of())).json().get("id").asText();
        api.post("/v1/worker/claim", Map.of("worker_id", "w1", "queues", List.of("ids"), "max", 1));
        assertThat(api.post("/v1/runs/" + id + "/complete", Map.of("worker_id", "w1")).status()).isEqualTo(200);

        var events = api.get("/v1/runs/" + id + "/events").json().get("data");
        Set<UUID> ids = new HashSet<>();
        events.forEach(e -> {
            UUID eventId = UUID.fromString(e.get("id").asText());
            assertThat(eventId.version()).isEqualTo(7);
            assertThat(eventId.variant()).isEqualTo(2);
            assertThat(eventId.getLeastSignificantBits() & ((1L << 62) - 1)).isEqualTo(e.get("seq").asLong());
            assertThat(eventId.getMostSignificantBits() >>> 16)
                    .isEqualTo(Instant.parse(e.get("created_at").asText()).toEpochMilli());
            ids.add(eventId);
        });
        assertThat(ids).hasSize(3);
    }
}
