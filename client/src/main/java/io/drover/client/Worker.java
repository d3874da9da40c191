package io.drover.client;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Executes the runs of one or more jobs: claims them in batches with long polls, runs each
 * handler on a virtual thread, heartbeats every held run in one call per interval, and reports
 * outcomes in batches. Build one with {@link #builder()}, then {@link #start()} it;
 * {@link #close()} stops it gracefully and may be called from a shutdown hook:
 *
 * <pre>{@code
 * Worker worker = Worker.builder().client(DroverClient.fromEnv()).concurrency(8)
 *         .handler("send-email", (ctx, payload) -> Map.of("sent", true))
 *         .build();
 * worker.start();
 * Runtime.getRuntime().addShutdownHook(new Thread(worker::close));
 * }</pre>
 */
public final class Worker implements AutoCloseable {

    private enum State { NEW, RUNNING, STOPPING, STOPPED }

    /** Outcomes that finished in time still get this long to be sent, even when handlers used the whole timeout. */
    private static final Duration MIN_FLUSH_TIME = Duration.ofSeconds(5);
    private static final int RELEASE_PARALLELISM = 16;
    /** Two completion requests in flight: one batch fills while the other is answered. */
    private static final int COMPLETION_SENDERS = 2;

    private final DroverClient client;
    private final WorkerConfig config;
    private final Notifier notifier;
    private final InFlight inFlight = new InFlight();
    private final Semaphore slots;
    private final BatchCompleter completer;
    private final RunExecutor executor;
    private final ClaimLoop claimLoop;
    private final Heartbeater heartbeater;
    private final AtomicReference<State> state = new AtomicReference<>(State.NEW);
    private final CountDownLatch terminated = new CountDownLatch(1);

    Worker(DroverClient client, WorkerConfig config, Map<String, RunHandler> handlers, Notifier notifier) {
        this.client = client;
        this.config = config;
        this.notifier = notifier;
        this.slots = new Semaphore(config.concurrency());
        this.completer = new BatchCompleter(batch -> client.completeBatch(config.workerId(), batch),
                new CompletionCallback(), config.completionBatchSize(), config.completionLinger(),
                config.completionRetries(), Duration.ofMillis(100), COMPLETION_SENDERS);
        this.executor = new RunExecutor(handlers, client, config.workerId(), inFlight, slots, completer, notifier);
        this.claimLoop = new ClaimLoop(client, config, inFlight, executor, notifier);
        this.heartbeater = new Heartbeater(client, config, inFlight, notifier);
    }

    /** @return a builder for a worker */
    public static WorkerBuilder builder() {
        return new WorkerBuilder();
    }

    /** Starts claiming and executing runs; calling it again while running does nothing. */
    public void start() {
        if (state.compareAndSet(State.NEW, State.RUNNING)) {
            completer.start("drover-complete-" + config.workerId());
            heartbeater.start();
            claimLoop.start();
        } else if (state.get() != State.RUNNING) {
            throw new IllegalStateException("a stopped worker cannot be started again; build a new one");
        }
    }

    /** @return whether the worker is started and not stopping */
    public boolean isRunning() {
        return state.get() == State.RUNNING;
    }

    /** @return the id this worker claims runs under */
    public String workerId() {
        return config.workerId();
    }

    /** @return the worker's settings */
    public WorkerConfig config() {
        return config;
    }

    /** @return how many runs this worker holds a lease on right now (executing, buffered, or awaiting acknowledgement) */
    public int heldRuns() {
        return inFlight.size();
    }

    /** Stops gracefully within the configured shutdown timeout; see {@link #stop(Duration)}. */
    @Override
    public void close() {
        stop(config.shutdownTimeout());
    }

    /**
     * Stops gracefully: stops claiming, lets running handlers finish for up to {@code timeout},
     * reports their outcomes, then releases every run still unfinished so that another worker can
     * take it at once without the attempt counting. Handlers still running are interrupted and
     * see {@link RunContext#isCanceled()}. Idempotent; a concurrent caller waits for the first.
     */
    public void stop(Duration timeout) {
        // First of all, before isRunning() turns false: no handler starts from now on.
        executor.stop();
        State previous = state.getAndUpdate(s -> s == State.NEW ? State.STOPPED
                : s == State.RUNNING ? State.STOPPING : s);
        if (previous == State.NEW) {
            terminated.countDown();
            return;
        }
        try {
            if (previous == State.RUNNING) {
                shutdown(timeout);
            } else {
                terminated.await(timeout.plus(MIN_FLUSH_TIME).toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (previous == State.RUNNING) {
                state.set(State.STOPPED);
                terminated.countDown();
            }
        }
    }

    private void shutdown(Duration timeout) throws InterruptedException {
        try {
            drain(timeout);
        } finally {
            heartbeater.stop();
        }
    }

    private void drain(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        // The executor starts no more runs (stop() said so); those still in the prefetch buffer are
        // released below with the rest.
        claimLoop.stop(remaining(deadline));
        if (slots.tryAcquire(config.concurrency(), remaining(deadline).toNanos(), TimeUnit.NANOSECONDS)) {
            slots.release(config.concurrency());
        }
        for (RunContext ctx : inFlight.snapshot()) {
            if (ctx.tryAbandon()) {
                ctx.interrupt();
            }
        }
        Duration left = remaining(deadline);
        completer.close(left.compareTo(MIN_FLUSH_TIME) > 0 ? left : MIN_FLUSH_TIME);
        // What is left was abandoned above (prefetched runs included), or finished but could not
        // be reported. Released a few at a time in parallel: a prefetch buffer can hold hundreds.
        Semaphore parallel = new Semaphore(RELEASE_PARALLELISM);
        try (ExecutorService releases = Executors.newVirtualThreadPerTaskExecutor()) {
            for (RunContext ctx : inFlight.snapshot()) {
                parallel.acquire();
                releases.execute(() -> {
                    try {
                        release(ctx);
                    } finally {
                        parallel.release();
                    }
                });
            }
        }
    }

    private void release(RunContext ctx) {
        inFlight.remove(ctx.runId());
        try {
            client.release(ctx.runId(), config.workerId());
        } catch (DroverApiException e) {
            // 404 or 409: the run already moved on (canceled, reaped), which is what a release wants.
            if (e.httpStatus() != 404 && e.httpStatus() != 409) {
                notifier.onError("release", e);
            }
        } catch (DroverException e) {
            notifier.onError("release", e);
        }
    }

    private static Duration remaining(long deadlineNanos) {
        return Duration.ofNanos(Math.max(0, deadlineNanos - System.nanoTime()));
    }

    /** Forgets runs whose outcome the server took (or refused for good), so heartbeats stop for them. */
    private final class CompletionCallback implements BatchCompleter.Callback {
        @Override
        public void acknowledged(Outcome outcome, OutcomeResult result) {
            RunContext ctx = inFlight.remove(outcome.runId());
            if (ctx != null && result != null && !result.ok()) {
                notifier.onRunLost(ctx, result.status());
            }
        }

        @Override
        public void dropped(List<Outcome> outcomes, Throwable cause) {
            outcomes.forEach(outcome -> inFlight.remove(outcome.runId()));
            notifier.onOutcomesDropped(outcomes, cause);
        }
    }
}
