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
 *
 * <p>Each claim names the jobs this worker has handlers for ({@code jobs}), so that runs of a job
 * it does not know (a job added by a rolling deploy, or served by other workers on the same queue)
 * stay queued for the workers that know it. A server too old for {@code jobs} refuses the field;
 * then claims go without it, and a run of an unknown job that still arrives is given back
 * (released: the attempt is not counted) instead of failed.
 *
 * <p>On stop, a claim parked on the server (an idle worker's long poll) is aborted at once rather
 * than waited out; see {@link #stop}.
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
    /** The job slugs this worker has handlers for, sorted; sent with each claim while the server takes them. */
    private final List<String> jobs;
    private final java.util.Set<String> handled;
    private volatile boolean sendJobs = true;
    /** Unknown job slugs already warned about, so that the log says it once per job. */
    private final java.util.Set<String> warnedUnknown = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Claimer threads waiting on the server right now; stop() interrupts exactly these (under this lock). */
    private final java.util.Set<Thread> onTheWire = new java.util.HashSet<>();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean stopping;
    /** Published whole by start(), so that a stop() racing with it sees all threads or none. */
    private volatile List<Thread> threads = List.of();

    ClaimLoop(DroverClient client, WorkerConfig config, InFlight inFlight, RunExecutor executor, Notifier notifier,
              java.util.Collection<String> jobSlugs) {
        this.jobs = List.copyOf(new java.util.TreeSet<>(jobSlugs));
        this.handled = java.util.Set.copyOf(jobSlugs);
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
            started.add(Threads.startDaemon(name, this::loop));
        }
        threads = List.copyOf(started);
    }

    /**
     * Stops claiming. A claim on the wire is aborted at once (its thread is interrupted, which
     * closes its connection): an idle worker's parked long poll would otherwise hold the stop for
     * up to {@code claimWait}. Runs a claim already brought are released at once. What this
     * leaves: a run that becomes ready in the rest of the aborted claim's wait on the server can
     * still be claimed by it for this worker that is gone; its lease then runs out and the run is
     * retried as a crashed attempt (the server does not notice the closed connection while it
     * waits). Claims carrying runs back are not interrupted while they hand them over.
     */
    boolean stop(Duration timeout) throws InterruptedException {
        stopping = true;
        stopped.countDown();
        synchronized (onTheWire) {
            onTheWire.forEach(Thread::interrupt);
        }
        List<Thread> all = threads;
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Thread thread : all) {
            Threads.join(thread, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        }
        // Those still in a claim are interrupted together, then given 2 s together.
        all.forEach(Thread::interrupt);
        long grace = System.nanoTime() + Duration.ofSeconds(2).toNanos();
        boolean stoppedAll = true;
        for (Thread thread : all) {
            stoppedAll &= Threads.join(thread, Duration.ofNanos(Math.max(0, grace - System.nanoTime())));
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
            boolean withJobs = sendJobs;
            try {
                synchronized (onTheWire) {
                    if (stopping) {
                        inFlight.unreserve(wanted);
                        break;
                    }
                    onTheWire.add(Thread.currentThread());
                }
                try {
                    ClaimRequest request = new ClaimRequest(config.workerId(), config.queues(), wanted,
                            config.claimWait().toMillis(), config.lease().toMillis());
                    runs = client.claim(withJobs ? request.withJobs(jobs) : request);
                } finally {
                    synchronized (onTheWire) {
                        onTheWire.remove(Thread.currentThread());
                    }
                }
            } catch (DroverApiException e) {
                inFlight.unreserve(wanted);
                if (withJobs && refusesJobs(e)) {
                    sendJobs = false;
                    notifier.onError("claim", new DroverException("the server does not take the claim's jobs "
                            + "field (older than this SDK): claiming any job, runs of jobs without a handler are "
                            + "given back", e));
                    continue;
                }
                if (!stopping) {
                    notifier.onError("claim", e);
                    pause(backoff.next());
                }
                continue;
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
            int unknown = 0;
            try {
                // stop() interrupts only while the claim is on the wire; an interrupt that landed
                // just as the answer came must not break the releases below.
                Thread.interrupted();
                for (Run run : runs) {
                    if (stopping) {
                        giveBack(run);
                    } else if (!handled.contains(run.jobSlug())) {
                        unknown++;
                        giveBackUnknown(run);
                    } else {
                        executor.execute(run);
                    }
                }
            } finally {
                inFlight.unreserve(wanted); // the runs it brought are counted by now
            }
            if (unknown > 0 && unknown == runs.size()) {
                // Only runs this worker cannot execute: they are queued again at once, and an
                // older server would hand them straight back; leave them to other workers a while.
                pause(backoff.next());
            } else if (runs.isEmpty() && System.nanoTime() - sent < QUICK_EMPTY_NANOS) {
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

    /** An old server's 4xx about the claim's {@code jobs} field (a field it does not know). */
    private static boolean refusesJobs(DroverApiException e) {
        if (e.httpStatus() != 400 && e.httpStatus() != 422) {
            return false;
        }
        String text = e.getMessage() + " " + e.details();
        return text.contains("jobs");
    }

    /** A run of a job this worker has no handler for: released, so the attempt is not counted. */
    private void giveBackUnknown(Run run) {
        if (warnedUnknown.add(run.jobSlug())) {
            System.getLogger(Worker.class.getName()).log(System.Logger.Level.WARNING,
                    "worker {0} has no handler for job ''{1}'' (it handles {2}); its runs are given back "
                            + "unstarted, without using an attempt", config.workerId(), run.jobSlug(), jobs);
        }
        giveBack(run);
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
