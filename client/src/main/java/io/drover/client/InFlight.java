package io.drover.client;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The runs this worker holds a lease on: from the claim until the outcome is acknowledged, the run
 * is released, or the server says it is no longer ours. The heartbeater extends exactly these, and
 * the claim loop takes no more while they fill the worker's concurrency ({@link #awaitRoom}).
 */
final class InFlight {

    private final ConcurrentHashMap<String, RunContext> runs = new ConcurrentHashMap<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition removed = lock.newCondition();

    void add(RunContext ctx) {
        runs.put(ctx.runId(), ctx);
    }

    RunContext remove(String runId) {
        RunContext ctx = runs.remove(runId);
        if (ctx != null) {
            lock.lock();
            try {
                removed.signalAll();
            } finally {
                lock.unlock();
            }
        }
        return ctx;
    }

    /**
     * Waits up to {@code maxWaitMs} until fewer than {@code limit} runs are held.
     *
     * @return how many more runs may be held now; 0 when the wait ran out first
     */
    int awaitRoom(int limit, long maxWaitMs) throws InterruptedException {
        long nanos = TimeUnit.MILLISECONDS.toNanos(maxWaitMs);
        lock.lock();
        try {
            int room;
            while ((room = limit - runs.size()) <= 0) {
                if (nanos <= 0) {
                    return 0;
                }
                nanos = removed.awaitNanos(nanos);
            }
            return room;
        } finally {
            lock.unlock();
        }
    }

    List<String> ids() {
        return new ArrayList<>(runs.keySet());
    }

    List<RunContext> snapshot() {
        return new ArrayList<>(runs.values());
    }

    int size() {
        return runs.size();
    }
}
