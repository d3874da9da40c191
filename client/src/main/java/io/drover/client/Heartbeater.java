package io.drover.client;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Extends the leases of every run this worker holds with one batched call per interval. A run the
 * server no longer gives to this worker is taken from its handler: its result is dropped, and its
 * handler's thread is interrupted.
 *
 * <p>Between heartbeats, a second loop asks every {@code cancelPollInterval} (default 1 s) about
 * the runs whose handlers are running, in one read-only call ({@code POST /v1/worker/runs}), so
 * that a cancel reaches its handler within about a second rather than at the next heartbeat (a
 * third of the lease, 10 s by default). It is a poll of the worker's own runs, not a push: the
 * server would otherwise have to track which connection waits for which run's cancel, and a busy
 * worker has no parked claim to carry one. No call is made while no handler runs, so an idle
 * worker costs nothing, and a busy one one small primary-key read per second.
 */
final class Heartbeater {

    private static final System.Logger LOG = System.getLogger(Worker.class.getName());

    /** Keeps each request small, whatever the worker's concurrency. */
    private static final int MAX_PER_CALL = 500;

    private final DroverClient client;
    private final WorkerConfig config;
    private final InFlight inFlight;
    private final Notifier notifier;
    private final CountDownLatch stopped = new CountDownLatch(1);
    /** False once the server said it has no {@code /v1/worker/runs} (an older server). */
    private volatile boolean pollSupported = true;

    Heartbeater(DroverClient client, WorkerConfig config, InFlight inFlight, Notifier notifier) {
        this.client = client;
        this.config = config;
        this.inFlight = inFlight;
        this.notifier = notifier;
    }

    void start() {
        Threads.startDaemon("drover-heartbeat-" + config.workerId(), this::loop);
        if (!config.cancelPollInterval().isZero()) {
            Threads.startDaemon("drover-cancel-poll-" + config.workerId(), this::pollLoop);
        }
    }

    /** Stops after the round in flight, if any; does not wait for it. */
    void stop() {
        stopped.countDown();
    }

    private void loop() {
        long intervalMs = config.heartbeatInterval().toMillis();
        try {
            while (!stopped.await(intervalMs, TimeUnit.MILLISECONDS)) {
                beat();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void pollLoop() {
        long intervalMs = config.cancelPollInterval().toMillis();
        try {
            while (pollSupported && !stopped.await(intervalMs, TimeUnit.MILLISECONDS)) {
                pollCancels();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Sends one round of heartbeats for every run held right now. */
    void beat() {
        List<String> ids = inFlight.ids();
        for (int from = 0; from < ids.size(); from += MAX_PER_CALL) {
            List<String> chunk = ids.subList(from, Math.min(ids.size(), from + MAX_PER_CALL));
            try {
                for (HeartbeatResult result : client.heartbeatBatch(config.workerId(), chunk,
                        config.lease().toMillis())) {
                    if (!result.ok()) {
                        lose(result.runId(), result.status());
                    }
                }
            } catch (DroverException e) {
                notifier.onError("heartbeat", e);
            }
        }
    }

    /** Asks once whether the runs whose handlers run right now are still this worker's. */
    void pollCancels() {
        List<String> running = new ArrayList<>();
        for (RunContext ctx : inFlight.snapshot()) {
            if (ctx.isRunning()) {
                running.add(ctx.runId());
            }
        }
        for (int from = 0; from < running.size(); from += MAX_PER_CALL) {
            List<String> chunk = running.subList(from, Math.min(running.size(), from + MAX_PER_CALL));
            try {
                for (HeldRun run : client.heldRuns(config.workerId(), chunk)) {
                    if (!run.held()) {
                        lose(run.runId(), run.status());
                    }
                }
            } catch (DroverApiException e) {
                if (e.httpStatus() == 404 || e.httpStatus() == 405) {
                    pollSupported = false;
                    LOG.log(System.Logger.Level.INFO, "the server has no POST /v1/worker/runs (older than this "
                            + "SDK): cancels reach handlers at heartbeats only");
                    return;
                }
                notifier.onError("heartbeat", e);
            } catch (DroverException e) {
                notifier.onError("heartbeat", e);
            }
        }
    }

    private void lose(String runId, RunStatus status) {
        RunContext ctx = inFlight.remove(runId);
        // A handler that already finished has its outcome queued; the server will refuse it quietly.
        if (ctx != null && ctx.tryAbandon()) {
            ctx.interrupt();
            notifier.onRunLost(ctx, status);
        }
    }
}
