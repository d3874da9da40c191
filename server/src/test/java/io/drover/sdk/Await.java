package io.drover.sdk;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Polls a condition until it holds or a deadline passes; the tests' only way to wait. */
final class Await {

    private static final Duration POLL = Duration.ofMillis(25);

    private Await() {
    }

    static void until(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting for: " + what);
            }
            pause();
        }
    }

    /** Waits until the supplier returns a value that passes the check, and returns that value. */
    static <T> T value(String what, Duration timeout, Supplier<T> supplier, java.util.function.Predicate<T> check) {
        long deadline = System.nanoTime() + timeout.toNanos();
        T last = supplier.get();
        while (!check.test(last)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting for: " + what + "; last value: " + last);
            }
            pause();
            last = supplier.get();
        }
        return last;
    }

    private static void pause() {
        try {
            Thread.sleep(POLL);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting", e);
        }
    }
}
