package io.drover.batches;

import io.drover.maintenance.Service;

/**
 * Works off batch cancels and replays, a chunk per transaction ({@link BatchStore#work}), on every
 * node: the batch row's lock keeps two nodes off one chunk, so several nodes share a long batch
 * and any of them goes on after a restart. Woken when this node makes a batch, else every poll
 * interval; a pass stops after a second so that shutdown is not held up by a long batch.
 */
public final class BatchWorker extends Service {
    private static final long PASS_NANOS = 1_000_000_000L;
    private final BatchStore store;
    private final long pollMs;
    private volatile boolean more;

    public BatchWorker(BatchStore store, long pollMs) {
        super("batches");
        this.store = store;
        this.pollMs = pollMs;
    }

    @Override
    public void runOnce() {
        long until = System.nanoTime() + PASS_NANOS;
        boolean worked;
        do {
            worked = store.work().isPresent();
        } while (worked && System.nanoTime() < until);
        more = worked;
    }

    /** One chunk of one batch, as a pass does it; false when no batch was waiting (tests step with it). */
    public boolean workOneChunk() {
        return store.work().isPresent();
    }

    @Override
    protected long nextWaitMs() {
        return more ? 0 : pollMs;
    }
}
