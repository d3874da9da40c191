package io.drover.maintenance;

import io.drover.runs.RunMaintenance;

/**
 * Finds attempts whose lease expired (crashed), that ran past {@code timeout_secs} (timed out),
 * waits that ran out, and runs whose TTL passed before they started (expired), and moves each by
 * the job's policy. One node at a time does it, through a transaction-scoped advisory lock, so
 * the work moves to another node by itself when one dies.
 */
public final class LeaseReaper extends Service {
    private static final int BATCH = 200;
    private final RunMaintenance runs;
    private final long intervalMs;

    public LeaseReaper(RunMaintenance runs, long intervalMs) {
        super("reaper");
        this.runs = runs;
        this.intervalMs = intervalMs;
    }

    @Override
    public void runOnce() {
        while (runs.reap(BATCH) >= BATCH) {
            // a full batch: more may be waiting
        }
    }

    @Override
    protected long nextWaitMs() {
        return intervalMs;
    }
}
