package io.drover.client;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The runs this worker holds a lease on: from the claim until the outcome is acknowledged, the run
 * is released, or the server says it is no longer ours. The heartbeater extends exactly these.
 *
 * <p>A held run is either <em>unfinished</em> (waiting in the local buffer for a free handler, or
 * executing) or <em>pending</em> (its handler finished and the outcome waits for the server's
 * acknowledgement). The claim loop takes more runs only while both stay under their caps
 * ({@link #awaitClaimRoom}): unfinished runs under concurrency + prefetch, pending outcomes under
 * their own cap, so that a worker whose reports fall behind (a slow or unreachable server) stops
 * claiming instead of piling up finished runs whose leases it must keep extending and may lose.
 */
final class InFlight {

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final Map<String, RunContext> runs = new HashMap<>();
    private int pending;
    /** Room asked for by claims still on the wire: counted as unfinished until they come back. */
    private int reserved;

    void add(RunContext ctx) {
        lock.lock();
        try {
            runs.put(ctx.runId(), ctx);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Marks the run's handler as finished, so its outcome may be reported.
     *
     * @return false when the run was abandoned first (its outcome must not be reported)
     */
    boolean finish(RunContext ctx) {
        lock.lock();
        try {
            if (!ctx.tryFinish()) {
                return false;
            }
            if (runs.get(ctx.runId()) == ctx) {
                ctx.pendingCounted = true;
                pending++;
            }
            changed.signalAll();
            return true;
        } finally {
            lock.unlock();
        }
    }

    RunContext remove(String runId) {
        lock.lock();
        try {
            RunContext ctx = runs.remove(runId);
            if (ctx != null) {
                if (ctx.pendingCounted) {
                    ctx.pendingCounted = false;
                    pending--;
                }
                changed.signalAll();
            }
            return ctx;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits up to {@code maxWaitMs} until a claim is worth sending: fewer than {@code maxPending}
     * outcomes await acknowledgement, and at least {@code minRoom} more runs fit under
     * {@code maxUnfinished} (or the worker holds no unfinished run at all, so any room will do).
     *
     * <p>The room returned is reserved for the claim (it counts as unfinished, so that another claim
     * in flight cannot ask for it too) until {@link #unreserve} gives it back, after the claimed runs
     * were added.
     *
     * @return how many runs the claim may ask for (at most {@code maxPerClaim}); 0 when the wait ran out
     */
    int awaitClaimRoom(int maxUnfinished, int maxPending, int minRoom, int maxPerClaim, long maxWaitMs)
            throws InterruptedException {
        long nanos = TimeUnit.MILLISECONDS.toNanos(maxWaitMs);
        lock.lock();
        try {
            while (true) {
                int unfinished = runs.size() - pending + reserved;
                int room = maxUnfinished - unfinished;
                if (pending < maxPending && room > 0 && (room >= minRoom || unfinished == 0)) {
                    int asked = Math.min(room, maxPerClaim);
                    reserved += asked;
                    return asked;
                }
                if (nanos <= 0) {
                    return 0;
                }
                nanos = changed.awaitNanos(nanos);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Gives back the room a claim reserved ({@link #awaitClaimRoom}), once its runs were added. */
    void unreserve(int room) {
        lock.lock();
        try {
            reserved -= room;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    List<String> ids() {
        lock.lock();
        try {
            return new ArrayList<>(runs.keySet());
        } finally {
            lock.unlock();
        }
    }

    List<RunContext> snapshot() {
        lock.lock();
        try {
            return new ArrayList<>(runs.values());
        } finally {
            lock.unlock();
        }
    }

    int size() {
        lock.lock();
        try {
            return runs.size();
        } finally {
            lock.unlock();
        }
    }

    /** @return outcomes reported but not yet acknowledged */
    int pending() {
        lock.lock();
        try {
            return pending;
        } finally {
            lock.unlock();
        }
    }
}
