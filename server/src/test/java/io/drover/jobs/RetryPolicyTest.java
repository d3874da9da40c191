package io.drover.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.http.ApiError;
import io.drover.http.Input;
import io.drover.http.Json;
import java.util.List;
import java.util.LongSummaryStatistics;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The retry delays of each strategy, their caps and the jitter bounds; no server needed. */
class RetryPolicyTest {
    static RetryPolicy parse(String json) {
        return RetryPolicy.parse(Input.of(Json.read(json), "retry"));
    }

    static List<Long> delays(RetryPolicy p, int attempts) {
        return IntStream.rangeClosed(1, attempts).mapToObj(p::delayMs).toList();
    }

    @Test
    void exponentialDoublesFromTheInitialDelay() {
        RetryPolicy p = parse("{\"strategy\":\"exponential\",\"initial_delay_ms\":1000,\"jitter\":false}");
        assertThat(delays(p, 6)).containsExactly(1_000L, 2_000L, 4_000L, 8_000L, 16_000L, 32_000L);
    }

    @Test
    void exponentialIsCappedAndNeverOverflows() {
        RetryPolicy p = parse("{\"strategy\":\"exponential\",\"initial_delay_ms\":1000,\"max_delay_ms\":5000,"
                + "\"jitter\":false}");
        assertThat(delays(p, 5)).containsExactly(1_000L, 2_000L, 4_000L, 5_000L, 5_000L);
        assertThat(p.delayMs(62)).isEqualTo(5_000L);
        assertThat(p.delayMs(63)).isEqualTo(5_000L);
        assertThat(p.delayMs(1_000)).isEqualTo(5_000L);
        assertThat(p.delayMs(Integer.MAX_VALUE)).isEqualTo(5_000L);
        RetryPolicy big = parse("{\"strategy\":\"exponential\",\"initial_delay_ms\":2592000000,\"jitter\":false}");
        assertThat(big.delayMs(40)).isEqualTo(2_592_000_000L);
    }

    @Test
    void theDefaultIsExponentialFromOneSecondUpToAnHourWithJitter() {
        RetryPolicy p = RetryPolicy.DEFAULT;
        assertThat(p.strategy()).isEqualTo("exponential");
        assertThat(p.jitter()).isTrue();
        assertThat(p.delayMs(1)).isBetween(500L, 1_000L);
        assertThat(p.delayMs(3)).isBetween(2_000L, 4_000L);
        assertThat(p.delayMs(30)).isBetween(1_800_000L, 3_600_000L);
    }

    @Test
    void linearGrowsByTheInitialDelay() {
        RetryPolicy p = parse("{\"strategy\":\"linear\",\"initial_delay_ms\":1500,\"max_delay_ms\":5000,"
                + "\"jitter\":false}");
        assertThat(delays(p, 5)).containsExactly(1_500L, 3_000L, 4_500L, 5_000L, 5_000L);
        assertThat(p.delayMs(Integer.MAX_VALUE)).isEqualTo(5_000L);
    }

    @Test
    void fixedIsAlwaysTheInitialDelay() {
        RetryPolicy p = parse("{\"strategy\":\"fixed\",\"initial_delay_ms\":750}");
        assertThat(p.jitter()).as("fixed has no jitter unless asked").isFalse();
        assertThat(delays(p, 4)).containsExactly(750L, 750L, 750L, 750L);
        assertThat(parse("{\"strategy\":\"fixed\",\"initial_delay_ms\":0}").delayMs(3)).isZero();
    }

    @Test
    void customFollowsTheListAndRepeatsItsLastDelay() {
        RetryPolicy p = parse("{\"strategy\":\"custom\",\"delays_ms\":[100,5000,250]}");
        assertThat(p.jitter()).isFalse();
        assertThat(delays(p, 5)).containsExactly(100L, 5_000L, 250L, 250L, 250L);
    }

    @Test
    void customDelaysAreCappedOnlyByAnExplicitMaximum() {
        RetryPolicy capped = parse("{\"strategy\":\"custom\",\"delays_ms\":[100,9000],\"max_delay_ms\":5000}");
        assertThat(delays(capped, 2)).containsExactly(100L, 5_000L);
        // without max_delay_ms, the delays asked for are the delays given (two hours, not the one-hour default cap)
        RetryPolicy uncapped = parse("{\"strategy\":\"custom\",\"delays_ms\":[60000,7200000]}");
        assertThat(delays(uncapped, 3)).containsExactly(60_000L, 7_200_000L, 7_200_000L);
    }

    @Test
    void jitterDrawsFromTheUpperHalfOfTheDelay() {
        RetryPolicy p = parse("{\"strategy\":\"exponential\",\"initial_delay_ms\":1000,\"max_delay_ms\":20000,"
                + "\"jitter\":true}");
        for (int attempt = 1; attempt <= 7; attempt++) {
            long full = Math.min(1_000L << (attempt - 1), 20_000L);
            int n = attempt;
            LongSummaryStatistics stats = IntStream.range(0, 2_000).mapToLong(i -> p.delayMs(n)).summaryStatistics();
            assertThat(stats.getMin()).as("attempt %d lowest", attempt).isGreaterThanOrEqualTo(full / 2);
            assertThat(stats.getMax()).as("attempt %d highest", attempt).isLessThanOrEqualTo(full);
            // spread over the range, not stuck at one end
            assertThat(stats.getMin()).isLessThan(full / 2 + full / 10);
            assertThat(stats.getMax()).isGreaterThan(full - full / 10);
        }
        RetryPolicy linear = parse("{\"strategy\":\"linear\",\"initial_delay_ms\":400}");
        assertThat(linear.jitter()).as("linear jitters by default").isTrue();
        assertThat(IntStream.range(0, 500).mapToLong(i -> linear.delayMs(2)).distinct().count()).isGreaterThan(50);
        RetryPolicy tiny = parse("{\"strategy\":\"fixed\",\"initial_delay_ms\":1,\"jitter\":true}");
        assertThat(tiny.delayMs(1)).isEqualTo(1L);
    }

    @Test
    void invalidPoliciesAreRefusedNamingTheField() {
        assertRefused("{\"strategy\":\"custom\"}", 422, "retry.delays_ms");
        assertRefused("{\"strategy\":\"sometimes\"}", 422, "retry.strategy");
        assertRefused("{\"initial_delay_ms\":5000,\"max_delay_ms\":1000}", 422, "retry.max_delay_ms");
        assertRefused("{\"strategy\":\"custom\",\"delays_ms\":[100,-1]}", 422, "retry.delays_ms");
        assertRefused("{\"strategy\":\"custom\",\"delays_ms\":\"100\"}", 400, "retry.delays_ms");
        assertRefused("{\"strategy\":\"custom\",\"delays_ms\":[1.5]}", 400, "retry.delays_ms");
        assertRefused("{\"initial_delay_ms\":-1}", 422, "retry.initial_delay_ms");
        assertRefused("{\"backoff\":2}", null, null);
    }

    static void assertRefused(String json, Integer status, String field) {
        assertThatThrownBy(() -> parse(json)).as(json).isInstanceOfSatisfying(ApiError.class, e -> {
            assertThat(e.status()).isBetween(400, 422);
            if (status != null) {
                assertThat(e.status()).isEqualTo(status);
                assertThat(e.details().get("field")).isEqualTo(field);
            }
        });
    }

    @Test
    void thePolicyRoundTripsThroughItsJson() {
        RetryPolicy p = parse("{\"strategy\":\"custom\",\"delays_ms\":[1,2,3000],\"max_delay_ms\":2500,\"jitter\":true}");
        JsonNode json = p.toJson();
        assertThat(RetryPolicy.parse(Input.of(json, "retry"))).isEqualTo(p);
    }
}
