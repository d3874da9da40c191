package io.drover.client;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Keeps up to {@code claimers} claim requests open at a time (one by default), each on its own
 * thread, and hands what comes back to the executor. Each asks for
 * as many runs as fit under concurrency + prefetch (runs executing or waiting in the local
 * buffer), and only while fewer than the cap of outcomes await acknowledgement: when reporting
 * falls behind (a slow or unreachable server), the worker stops claiming instead of piling up
 * finished runs whose leases it must keep extending and may lose. With prefetch, it waits until
 * half the prefetch is free before it asks again, so that claims stay large while the buffer
 * keeps the handlers busy. Room a claim on the wire asked for is reserved until its runs are added
 * ({@link InFlight#unreserve}), so claimers together never exceed the cap. Errors back off
 * exponentially and never stop a loop.
 */
final class ClaimLoop {

    /** The API caps one claim at 500 runs. */
    private static final int MAX_PER_CLAIM = 500;
    private static final long QUICK_EMPTY_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final DroverClient client;
    private final WorkerConfig config;
    private final InFlight inFlight;
    private final RunExecutor executor;
    private final Notifier notifier;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean stopping;
    /** Published whole by start(), so that a stop() racing with it sees all threads or none. */
    private volatile List<Thread> threads = List.of();

    ClaimLoop(DroverClient client, WorkerConfig config, InFlight inFlight, RunExecutor executor, Notifier notifier) {
        this.client = client;
        this.config = config;
        this.inFlight = inFlight;
        this.executor = executor;
        this.notifier = notifier;
    }

    void start() {
        List<Thread> started = new java.util.ArrayList<>();
        for (int i = 0; i < config.claimers(); i++) {
            String name = "drover-claim-" + config.workerId() + (config.claimers() > 1 ? "-" + (i + 1) : "");
            started.add(Thread.ofPlatform().daemon().name(name).start(this::loop));
        }
        threads = List.copyOf(started);
    }

    /**
     * Stops claiming. A claim already sent is allowed to come back, since runs it took would
     * otherwise stay leased to a worker that is gone; its runs are released at once.
     */
    boolean stop(Duration timeout) throws InterruptedException {
        stopping = true;
        stopped.countDown();
        List<Thread> all = threads;
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Thread thread : all) {
            thread.join(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        }
        // Those still in a claim are interrupted together, then given 2 s together.
        all.forEach(Thread::interrupt);
        long grace = System.nanoTime() + Duration.ofSeconds(2).toNanos();
        boolean stoppedAll = true;
        for (Thread thread : all) {
            stoppedAll &= thread.join(Duration.ofNanos(Math.max(0, grace - System.nanoTime())));
        }
        return stoppedAll;
    }

    private void loop() {
        Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(2));
        while (!stopping) {
            int wanted = awaitRoom();
            if (wanted == 0) {
                continue;
            }
            List<Run> runs;
            long sent = System.nanoTime();
            try {
                runs = client.claim(new ClaimRequest(config.workerId(), config.queues(), wanted,
                        config.claimWait().toMillis(), config.lease().toMillis()));
            } catch (DroverException e) {
                inFlight.unreserve(wanted);
                if (!stopping) {
                    notifier.onError("claim", e);
                    pause(backoff.next());
                }
                continue;
            } catch (RuntimeException | Error e) {
                inFlight.unreserve(wanted);
                throw e;
            }
            try {
                for (Run run : runs) {
                    if (stopping) {
                        Thread.interrupted(); // stop() may have interrupted the claim; the release must still go out.
                        giveBack(run);
                    } else {
                        executor.execute(run);
                    }
                }
            } finally {
                inFlight.unreserve(wanted); // the runs it brought are counted by now
            }
            if (runs.isEmpty() && System.nanoTime() - sent < QUICK_EMPTY_NANOS) {
                // An empty answer without a long-poll wait (wait_ms 0, or a server that does not
                // wait) would otherwise turn this loop into a busy poll.
                pause(backoff.next());
            } else {
                backoff.reset();
            }
        }
    }

    /** Blocks until a claim is worth sending (see the class comment); 0 when stopping. */
    private int awaitRoom() {
        int maxUnfinished = config.concurrency() + config.prefetch();
        int minRoom = Math.max(1, config.prefetch() / 2);
        try {
            while (!stopping) {
                int room = inFlight.awaitClaimRoom(maxUnfinished, config.maxPendingOutcomes(), minRoom, MAX_PER_CLAIM, 100);
                if (room > 0) {
                    if (!stopping) {
                        return room;
                    }
                    // stop() began while this claimer waited (room freed by another claimer's runs
                    // coming back, or by a handler finishing): no new claim once stopping.
                    inFlight.unreserve(room);
                    return 0;
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
