package io.drover.client;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Keeps one claim request open at a time, asking for as many runs as there are free slots, and
 * hands what comes back to the executor. Errors back off exponentially and never stop the loop.
 * A run counts against the worker's concurrency until its outcome is acknowledged, not only while
 * its handler runs: when reporting falls behind (a slow or unreachable server), the worker stops
 * claiming instead of piling up finished runs whose leases it must keep extending and may lose.
 */
final class ClaimLoop {

    /** The API caps one claim at 500 runs. */
    private static final int MAX_PER_CLAIM = 500;
    private static final long QUICK_EMPTY_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final DroverClient client;
    private final WorkerConfig config;
    private final Semaphore slots;
    private final InFlight inFlight;
    private final RunExecutor executor;
    private final Notifier notifier;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean stopping;
    private Thread thread;

    ClaimLoop(DroverClient client, WorkerConfig config, Semaphore slots, InFlight inFlight, RunExecutor executor,
              Notifier notifier) {
        this.client = client;
        this.config = config;
        this.slots = slots;
        this.inFlight = inFlight;
        this.executor = executor;
        this.notifier = notifier;
    }

    void start() {
        thread = Thread.ofPlatform().daemon().name("drover-claim-" + config.workerId()).start(this::loop);
    }

    /**
     * Stops claiming. A claim already sent is allowed to come back, since runs it took would
     * otherwise stay leased to a worker that is gone; its runs are released at once.
     */
    boolean stop(Duration timeout) throws InterruptedException {
        stopping = true;
        stopped.countDown();
        if (thread == null || thread.join(timeout)) {
            return true;
        }
        thread.interrupt();
        return thread.join(Duration.ofSeconds(2));
    }

    private void loop() {
        Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(2));
        while (!stopping) {
            int wanted = takeFreeSlots();
            if (wanted == 0) {
                continue;
            }
            List<Run> runs;
            long sent = System.nanoTime();
            try {
                runs = client.claim(new ClaimRequest(config.workerId(), config.queues(), wanted,
                        config.claimWait().toMillis(), config.lease().toMillis()));
            } catch (DroverException e) {
                slots.release(wanted);
                if (!stopping) {
                    notifier.onError("claim", e);
                    pause(backoff.next());
                }
                continue;
            }
            slots.release(wanted - Math.min(wanted, runs.size()));
            if (runs.isEmpty() && System.nanoTime() - sent < QUICK_EMPTY_NANOS) {
                // An empty answer without a long-poll wait (wait_ms 0, or a server that does not
                // wait) would otherwise turn this loop into a busy poll.
                pause(backoff.next());
            } else {
                backoff.reset();
            }
            for (Run run : runs) {
                if (stopping) {
                    Thread.interrupted(); // stop() may have interrupted the claim; the release must still go out.
                    giveBack(run);
                    slots.release();
                } else {
                    executor.execute(run);
                }
            }
        }
    }

    /**
     * Blocks until at least one slot is free and fewer than {@code concurrency} runs are held
     * (executing, or finished with the outcome not yet acknowledged), then takes as many slots as
     * both allow; 0 when stopping.
     */
    private int takeFreeSlots() {
        try {
            while (!stopping) {
                int room = inFlight.awaitRoom(config.concurrency(), 100);
                if (room > 0 && slots.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                    int extra = slots.drainPermits();
                    int taken = 1 + extra;
                    int surplus = Math.max(0, taken - Math.min(room, MAX_PER_CLAIM));
                    slots.release(surplus);
                    return taken - surplus;
                }
            }
        } catch (InterruptedException e) {
            stopping = true;
        }
        return 0;
    }

    private void giveBack(Run run) {
        try {
            client.release(run.id(), config.workerId());
        } catch (DroverException e) {
            notifier.onError("release", e);
        }
    }

    private void pause(Duration delay) {
        try {
            stopped.await(delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            stopping = true;
        }
    }
}
