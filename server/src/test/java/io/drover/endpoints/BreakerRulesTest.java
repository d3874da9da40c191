package io.drover.endpoints;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.endpoints.EndpointHealth.Circuit;
import io.drover.endpoints.EndpointHealth.Outcome;
import io.drover.endpoints.EndpointHealth.State;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The breaker's rules and the health averages as a function ({@link EndpointHealth#next}), without a server. */
class BreakerRulesTest {
    static final Breaker B = new Breaker(3, 30_000, 60_000, 10, 0.5, 0.2, 1_000);
    static final Instant T = Instant.parse("2026-01-01T00:00:00Z");

    static State apply(State s, Outcome... outcomes) {
        for (Outcome o : outcomes) {
            s = EndpointHealth.next(s, o, 100, T, B);
        }
        return s;
    }

    @Test
    void consecutiveFailuresOpenAndASuccessResetsTheCount() {
        State s = apply(State.fresh("http://a:80"), Outcome.FAILURE, Outcome.TIMEOUT, Outcome.SUCCESS,
                Outcome.FAILURE, Outcome.FAILURE);
        assertThat(s.circuit()).isEqualTo(Circuit.CLOSED);
        assertThat(s.consecutiveFailures()).isEqualTo(2);
        s = apply(s, Outcome.FAILURE);
        assertThat(s.circuit()).isEqualTo(Circuit.OPEN);
        assertThat(s.openedAt()).isEqualTo(T);
        assertThat(s.openUntil()).isEqualTo(T.plusMillis(30_000));
        assertThat(s.lastFailureAt()).isEqualTo(T);
    }

    @Test
    void aLowSuccessRateOpensOnceThereAreEnoughSamples() {
        // alternating: never three failures in a row, but the success rate sinks below 0.5
        State s = State.fresh("http://a:80");
        for (int i = 0; i < 20 && s.circuit() == Circuit.CLOSED; i++) {
            s = apply(s, i % 3 == 0 ? Outcome.SUCCESS : Outcome.FAILURE);
        }
        assertThat(s.circuit()).isEqualTo(Circuit.OPEN);
        assertThat(s.samples()).isGreaterThanOrEqualTo(10);
        assertThat(s.successRate()).isLessThan(0.5);
    }

    @Test
    void halfOpenClosesOnSuccessAndReopensOnFailure() {
        State half = new State("http://a:80", Circuit.HALF_OPEN, 5, 3, 0.4, 0.1, 200.0, T.minusSeconds(60),
                T.minusSeconds(30), T.plusSeconds(60), T.minusSeconds(60));
        State closed = apply(half, Outcome.SUCCESS);
        assertThat(closed.circuit()).isEqualTo(Circuit.CLOSED);
        assertThat(closed.openedAt()).isNull();
        assertThat(closed.consecutiveFailures()).isZero();
        State reopened = apply(half, Outcome.TIMEOUT);
        assertThat(reopened.circuit()).isEqualTo(Circuit.OPEN);
        assertThat(reopened.openUntil()).isEqualTo(T.plusMillis(30_000));
        assertThat(reopened.timeoutRate()).isGreaterThan(half.timeoutRate());
    }

    @Test
    void anOpenCircuitIsMovedOnlyByItsProbe() {
        State open = apply(State.fresh("http://a:80"), Outcome.FAILURE, Outcome.FAILURE, Outcome.FAILURE);
        State late = apply(open, Outcome.SUCCESS); // the answer to a request sent before it opened
        assertThat(late.circuit()).isEqualTo(Circuit.OPEN);
        assertThat(late.openUntil()).isEqualTo(open.openUntil());
        assertThat(late.successRate()).isGreaterThan(open.successRate());
    }

    @Test
    void theHealthScoreFallsWithFailuresTimeoutsAndLatency() {
        State fresh = State.fresh("http://a:80");
        assertThat(fresh.healthScore(B)).isEqualTo(1.0);
        State slow = EndpointHealth.next(fresh, Outcome.SUCCESS, 1_000, T, B);
        assertThat(slow.healthScore(B)).isCloseTo(0.9, org.assertj.core.api.Assertions.within(1e-9)); // latency part 0.5 at the target
        State failing = apply(fresh, Outcome.TIMEOUT, Outcome.TIMEOUT);
        assertThat(failing.healthScore(B)).isLessThan(slow.healthScore(B)).isBetween(0.0, 1.0);
    }

    @Test
    void endpointsAreSchemeHostAndPort() {
        assertThat(Endpoint.of("https://Hooks.Example.com/a?b=c")).isEqualTo("https://hooks.example.com:443");
        assertThat(Endpoint.of("http://127.0.0.1:8080/x")).isEqualTo("http://127.0.0.1:8080");
        assertThat(Endpoint.of("http://h")).isEqualTo("http://h:80");
        assertThat(Endpoint.of("not a url")).isNull();
        assertThat(Endpoint.of(null)).isNull();
    }
}
