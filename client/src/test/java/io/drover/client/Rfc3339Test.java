package io.drover.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Rfc3339Test {

    private static final ObjectMapper MAPPER = DroverJson.newMapper();

    @Test
    void agreesWithTheJdkOnEveryFormTheServerWrites() {
        Random random = new Random(42);
        for (int i = 0; i < 20_000; i++) {
            Instant t = Instant.ofEpochSecond(random.nextLong(-2_000_000_000L, 8_000_000_000L),
                    switch (i % 4) {
                        case 0 -> 0;
                        case 1 -> random.nextInt(1000) * 1_000_000;
                        case 2 -> random.nextInt(1_000_000) * 1000;
                        default -> random.nextInt(1_000_000_000);
                    });
            String text = t.toString(); // what the server writes
            assertThat(Rfc3339.parse(text)).as(text).isEqualTo(t);
        }
    }

    @Test
    void offsetsAndLowercaseAreRead() {
        for (String s : List.of("2026-11-22T06:24:25.5+02:00", "2026-11-21T20:24:25.500-08:00",
                "2026-11-22t04:24:25.5z", "2024-02-29T23:59:59.999999999+00:00")) {
            assertThat(Rfc3339.parse(s)).as(s).isEqualTo(OffsetDateTime.parse(s.toUpperCase()).toInstant());
        }
    }

    @Test
    void otherFormsFallBackToJacksonWithTheSameResultOrError() throws Exception {
        for (String s : List.of("2026-02-30T00:00:00Z", "2026-11-22T24:00:00Z", "2026-11-22T04:24:25.Z",
                "2026-11-22 04:24:25Z", "2026-11-22T04:24:25", "+12026-11-22T04:24:25Z", "x")) {
            assertThat(Rfc3339.parse(s)).as(s).isNull();
        }
        assertThat(MAPPER.readValue("\"2026-11-22T04:24:25.584123Z\"", Instant.class))
                .isEqualTo(Instant.parse("2026-11-22T04:24:25.584123Z"));
        assertThat(MAPPER.readValue("1700000000", Instant.class)).isEqualTo(Instant.ofEpochSecond(1_700_000_000L));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> MAPPER.readValue("\"2026-02-30T00:00:00Z\"", Instant.class))
                .isInstanceOf(com.fasterxml.jackson.databind.JsonMappingException.class);
    }
}
