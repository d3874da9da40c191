package io.drover.slos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.drover.usage.Histogram;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The evaluation's arithmetic on hand-made hourly rows: weights, burn rates, thresholds, durations. */
class SloMathTest {
    static final Instant HOUR = Instant.parse("2026-03-01T10:00:00Z");

    static SloMath.Hour ok(Instant hour, long completed, long failed) {
        return new SloMath.Hour(hour, completed, failed, 0, new long[Histogram.BUCKETS]);
    }

    @Test
    void theCurrentHourCountsWholeAndTheOldestByItsOverlap() {
        Instant now = HOUR.plus(Duration.ofMinutes(15));
        assertThat(SloMath.weight(HOUR, now, Duration.ofHours(1))).isEqualTo(1.0);
        assertThat(SloMath.weight(HOUR.minus(Duration.ofHours(1)), now, Duration.ofHours(1))).isEqualTo(0.75);
        assertThat(SloMath.weight(HOUR.minus(Duration.ofHours(2)), now, Duration.ofHours(1))).isZero();
        assertThat(SloMath.weight(HOUR.plus(Duration.ofHours(1)), now, Duration.ofHours(1))).as("the future").isZero();
    }

    @Test
    void burnRatesAndStatusFollowTheMultiWindowRule() {
        Instant now = HOUR.plus(Duration.ofMinutes(30));
        // 1 h: 15% bad of a 1% budget = 15 >= 14.4: warning; the 30-day budget holds
        var fast = SloMath.evaluate(List.of(ok(HOUR, 85, 15), ok(HOUR.minus(Duration.ofDays(3)), 100_000, 0)), now,
                Slo.SUCCESS_RATE, 0.99, 30);
        assertThat(fast.burnRate1h()).isCloseTo(15, within(1e-9));
        assertThat(fast.status()).isEqualTo(Slo.WARNING);
        // 7% bad over the last 6 h and the last hour: the slow rule (both >= 6)
        var slow = SloMath.evaluate(List.of(ok(HOUR, 93, 7), ok(HOUR.minus(Duration.ofHours(3)), 93, 7),
                ok(HOUR.minus(Duration.ofDays(3)), 100_000, 0)), now, Slo.SUCCESS_RATE, 0.99, 30);
        assertThat(slow.burnRate1h()).isCloseTo(7, within(1e-9));
        assertThat(slow.burnRate6h()).isCloseTo(7, within(1e-9));
        assertThat(slow.status()).isEqualTo(Slo.WARNING);
        // 7% bad 3 hours ago only: the 6 h rate alone is not a warning
        var past = SloMath.evaluate(List.of(ok(HOUR.minus(Duration.ofHours(3)), 93, 7),
                ok(HOUR.minus(Duration.ofDays(3)), 100_000, 0)), now, Slo.SUCCESS_RATE, 0.99, 30);
        assertThat(past.burnRate1h()).isZero();
        assertThat(past.status()).isEqualTo(Slo.OK);
        // the budget spent: breached, whatever the rates
        var spent = SloMath.evaluate(List.of(ok(HOUR.minus(Duration.ofDays(2)), 98, 2)), now, Slo.SUCCESS_RATE,
                0.99, 30);
        assertThat(spent.budgetRemaining()).isCloseTo(-1, within(1e-9));
        assertThat(spent.status()).isEqualTo(Slo.BREACHED);
        // no runs: the whole budget, no value
        var none = SloMath.evaluate(List.of(), now, Slo.SUCCESS_RATE, 0.99, 30);
        assertThat(none.budgetRemaining()).isEqualTo(1.0);
        assertThat(none.currentValue()).isNull();
        assertThat(none.status()).isEqualTo(Slo.OK);
    }

    @Test
    void aDurationObjectiveCountsTheBucketsAboveTheTarget() {
        long[] buckets = new long[Histogram.BUCKETS];
        buckets[Histogram.bucket(100)] = 97;
        buckets[Histogram.bucket(2000)] = 3;
        var r = SloMath.evaluate(List.of(new SloMath.Hour(HOUR, 100, 0, 0, buckets)), HOUR.plusSeconds(60),
                Slo.P95, 1000, 1);
        assertThat(r.windowBad()).isEqualTo(3.0);
        assertThat(r.budgetRemaining()).isCloseTo(1 - 0.03 / 0.05, within(1e-9));
        assertThat(r.currentValue()).isCloseTo(100, within(100 * Histogram.ALPHA));
        var p99 = SloMath.evaluate(List.of(new SloMath.Hour(HOUR, 100, 0, 0, buckets)), HOUR.plusSeconds(60),
                Slo.P99, 1000, 1);
        assertThat(p99.status()).isEqualTo(Slo.BREACHED);
        assertThat(p99.currentValue()).isCloseTo(2000, within(2000 * Histogram.ALPHA));
    }
}
