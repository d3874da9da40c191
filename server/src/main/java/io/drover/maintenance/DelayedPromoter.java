package io.drover.maintenance;

import io.drover.runs.RunMaintenance;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Moves delayed runs whose time has come to queued. Runs on every node (SKIP LOCKED keeps them
 * apart); sleeps until the earliest delayed run is due, at most the poll interval, and is woken
 * early when this node makes a run due sooner than that.
 */
public final class DelayedPromoter extends Service {
    private static final int BATCH = 1000;
    private final RunMaintenance runs;
    private final long pollMs;
    private final AtomicReference<Instant> plannedWake = new AtomicReference<>(Instant.MAX);

    private final InstantSource clock;

    public DelayedPromoter(RunMaintenance runs, long pollMs) {
        this(runs, pollMs, InstantSource.system());
    }

    public DelayedPromoter(RunMaintenance runs, long pollMs, InstantSource clock) {
        super("promoter");
        this.runs = runs;
        this.pollMs = pollMs;
        this.clock = clock;
    }

    /** A run became delayed until {@code at}; wake early if that is before the planned wake-up. */
    public void delayed(Instant at) {
        Instant planned = plannedWake.get();
        if (at.isBefore(planned)) {
            plannedWake.set(at);
            wake();
        }
    }

    @Override
    public void runOnce() {
        while (runs.promoteDue(BATCH) == BATCH) {
            // a full batch: more may be due
        }
    }

    @Override
    protected long nextWaitMs() {
        Instant now = clock.instant();
        Instant next = runs.nextDelayed();
        long wait = next == null ? pollMs : Math.max(0, Math.min(pollMs, next.toEpochMilli() - now.toEpochMilli()));
        plannedWake.set(now.plusMillis(wait));
        return wait;
    }
}
