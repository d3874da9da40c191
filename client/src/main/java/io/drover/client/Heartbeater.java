package io.drover.client;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Extends the leases of every run this worker holds with one batched call per interval. A run the
 * server no longer gives to this worker is taken from its handler, so that its result is dropped.
 */
final class Heartbeater {

    /** Keeps each request small, whatever the worker's concurrency. */
    private static final int MAX_PER_CALL = 500;

    private final DroverClient client;
    private final WorkerConfig config;
    private final InFlight inFlight;
    private final Notifier notifier;
    private final CountDownLatch stopped = new CountDownLatch(1);

    Heartbeater(DroverClient client, WorkerConfig config, InFlight inFlight, Notifier notifier) {
        this.client = client;
        this.config = config;
        this.inFlight = inFlight;
        this.notifier = notifier;
    }

    void start() {
        Thread.ofPlatform().daemon().name("drover-heartbeat-" + config.workerId()).start(this::loop);
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

    /** Sends one round of heartbeats for every run held right now. */
    void beat() {
        List<String> ids = inFlight.ids();
        for (int from = 0; from < ids.size(); from += MAX_PER_CALL) {
            List<String> chunk = ids.subList(from, Math.min(ids.size(), from + MAX_PER_CALL));
            try {
                for (HeartbeatResult result : client.heartbeatBatch(config.workerId(), chunk,
                        config.lease().toMillis())) {
                    if (!result.ok()) {
                        lose(result);
                    }
                }
            } catch (DroverException e) {
                notifier.onError("heartbeat", e);
            }
        }
    }

    private void lose(HeartbeatResult result) {
        RunContext ctx = inFlight.remove(result.runId());
        // A handler that already finished has its outcome queued; the server will refuse it quietly.
        if (ctx != null && ctx.tryAbandon()) {
            notifier.onRunLost(ctx, result.status());
        }
    }
}
