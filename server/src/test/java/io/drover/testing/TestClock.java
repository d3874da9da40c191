package io.drover.testing;

import io.drover.store.SqlTime;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A clock a test moves: it starts at the real time and goes forward only when told. Statements
 * that take their time as a parameter ({@code coalesce(?, now())}) use it instead of the
 * database's clock, so a test sees a lease, a TTL or a delay run out without waiting for it.
 */
public final class TestClock implements SqlTime.Movable {
    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.now());

    @Override
    public Instant instant() {
        return now.get();
    }

    /** Back to the real time (times the database stamps with its own clock are real). */
    public void reset() {
        now.set(Instant.now());
    }

    public void advance(Duration d) {
        now.updateAndGet(t -> t.plus(d));
    }
}
