package io.drover.dispatch;

import java.util.Collection;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The in-process wake-up for long-polling claimers. A waiting claim holds no database connection:
 * it parks here until new work may be ready (fed by the LISTEN connection, by local triggers, and
 * by the poller as a fallback) or its time runs out. A generation counter makes a wake-up that
 * lands between "claimed nothing" and "start waiting" count, so none is lost.
 */
public final class ClaimSignal {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private long generation;

    /** The current generation; read it before trying to claim, pass it to {@link #await}. */
    public long generation() {
        lock.lock();
        try {
            return generation;
        } finally {
            lock.unlock();
        }
    }

    /** Wakes every waiting claimer. Queue names are accepted for future per-queue targeting. */
    public void wake(Collection<String> queues) {
        lock.lock();
        try {
            generation++;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    public void wakeAll() {
        wake(java.util.List.of());
    }

    /** How many claims are parked here now (tests await a parked claim instead of sleeping). */
    public int parked() {
        lock.lock();
        try {
            return lock.getWaitQueueLength(changed);
        } finally {
            lock.unlock();
        }
    }

    /** Waits until the generation moves past {@code seen} or {@code maxWaitMs} passes; true if it moved. */
    public boolean await(long seen, long maxWaitMs) throws InterruptedException {
        long nanos = TimeUnit.MILLISECONDS.toNanos(maxWaitMs);
        lock.lock();
        try {
            while (generation == seen) {
                if (nanos <= 0) {
                    return false;
                }
                nanos = changed.awaitNanos(nanos);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }
}
