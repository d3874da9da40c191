package io.drover.endpoints;

import java.util.ArrayList;
import java.util.List;

/**
 * The circuit breaker's and the health score's settings (README.md, "Endpoint health and circuit breakers");
 * read from the environment by {@code Config}.
 *
 * @param failures consecutive failures (errors, 408/429/5xx answers, time-outs) that open a closed circuit
 * @param openMs how long an open circuit holds sends before one half-open probe may go
 * @param probeTimeoutMs a probe with no outcome after this long (its node died, or no send was
 *     waiting) lets another probe go
 * @param minSamples with at least this many outcomes seen, a success rate below {@code minSuccessRate}
 *     also opens the circuit (a flapping endpoint that never fails {@code failures} times in a row)
 * @param minSuccessRate see {@code minSamples}
 * @param alpha the weight of the newest outcome in the moving averages (EWMA)
 * @param latencyTargetMs the latency that scores 0.5 in the health score's latency part
 */
public record Breaker(int failures, long openMs, long probeTimeoutMs, int minSamples, double minSuccessRate,
        double alpha, long latencyTargetMs) {

    public static final Breaker DEFAULTS = new Breaker(5, 30_000, 60_000, 20, 0.5, 0.1, 1_000);

    /** Problems, each naming the setting; empty when all is well. */
    public List<String> problems() {
        List<String> p = new ArrayList<>();
        if (failures < 1 || failures > 10_000) {
            p.add("DROVER_CIRCUIT_FAILURES must be 1..10000, got " + failures);
        }
        if (openMs < 1 || probeTimeoutMs < 1) {
            p.add("DROVER_CIRCUIT_OPEN_MS and DROVER_CIRCUIT_PROBE_TIMEOUT_MS must be at least 1");
        }
        if (minSamples < 1) {
            p.add("DROVER_CIRCUIT_MIN_SAMPLES must be at least 1, got " + minSamples);
        }
        if (!(minSuccessRate >= 0 && minSuccessRate <= 1)) {
            p.add("DROVER_CIRCUIT_MIN_SUCCESS_RATE must be 0..1, got " + minSuccessRate);
        }
        if (!(alpha > 0 && alpha <= 1)) {
            p.add("DROVER_ENDPOINT_EWMA_ALPHA must be in (0, 1], got " + alpha);
        }
        if (latencyTargetMs < 1) {
            p.add("DROVER_ENDPOINT_LATENCY_TARGET_MS must be at least 1, got " + latencyTargetMs);
        }
        return p;
    }
}
