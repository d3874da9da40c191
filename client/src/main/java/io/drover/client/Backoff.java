package io.drover.client;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/** Exponential backoff with jitter, so that many workers do not retry a sick server in step. */
final class Backoff {

    private final long initialMs;
    private final long maxMs;
    private int failures;

    Backoff(Duration initial, Duration max) {
        this.initialMs = Math.max(1, initial.toMillis());
        this.maxMs = Math.max(initialMs, max.toMillis());
    }

    /** @return the delay before the next try, growing with each call until {@link #reset()} */
    Duration next() {
        long ceiling = Math.min(maxMs, initialMs << Math.min(failures, 20));
        failures++;
        // Half fixed, half random: never zero, and spread over the window.
        long delay = ceiling / 2 + ThreadLocalRandom.current().nextLong(ceiling / 2 + 1);
        return Duration.ofMillis(delay);
    }

    void reset() {
        failures = 0;
    }
}
