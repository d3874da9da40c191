package io.drover.client;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
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
    private final List<String> handledJobs;
    private static final System.Logger LOG = System.getLogger(Worker.class.getName());

    Worker(DroverClient client, WorkerConfig config, Map<String, RunHandler> handlers, Notifier notifier) {
        this(client, config, handlers, Map.of(), notifier);
    }

    Worker(DroverClient client, WorkerConfig config, Map<String, RunHandler> handlers, Map<String, Integer> limits,
           Notifier notifier) {
        this.client = client;
        this.config = config;
        this.notifier = notifier;
        this.slots = new Semaphore(config.concurrency());
        this.completer = new BatchCompleter(batch -> client.completeBatch(config.workerId(), batch),
                new CompletionCallback(), config.completionBatchSize(), config.completionLinger(),
                config.completionRetries(), Duration.ofMillis(100), COMPLETION_SENDERS);
        this.executor = new RunExecutor(handlers, limits, client, config.workerId(), inFlight, slots, completer, notifier);
        this.handledJobs = List.copyOf(new java.util.TreeSet<>(handlers.keySet()));
        this.claimLoop = new ClaimLoop(client, config, inFlight, executor, notifier, handledJobs);
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
            Threads.startShortLived("drover-job-check-" + config.workerId(), this::checkHandledJobs);
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
        ExecutorService releases = Threads.perTaskExecutor("drover-release-" + config.workerId());
        try {
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
        } finally {
            Threads.shutdownAndWait(releases);
        }
    }

    /**
     * Warns, once at start, about each handler whose runs this worker will never claim: its job
     * does not exist (yet), is an HTTP push job, or sends its runs to a queue this worker does not
     * claim from (they would stay queued without a word). Reads each job once
     * ({@code GET /v1/jobs/{slug}}), off the caller's thread; a server that cannot be asked is
     * only noted.
     */
    private void checkHandledJobs() {
        for (String slug : handledJobs) {
            String problem;
            try {
                Job job = client.getJob(slug);
                if ("http".equals(job.execution())) {
                    problem = "is an HTTP push job: the server posts its runs to " + job.endpointUrl()
                            + ", no worker claims them";
                } else if (job.queue() != null && !config.queues().contains(job.queue())) {
                    problem = "sends its runs to queue '" + job.queue() + "', which this worker does not claim "
                            + "from (it claims " + config.queues() + "): they stay queued unless another worker "
                            + "takes them";
                } else {
                    continue;
                }
            } catch (DroverApiException e) {
                if (e.httpStatus() != 404) {
                    LOG.log(System.Logger.Level.DEBUG, "could not read job ''{0}'' to check its queue: {1}", slug,
                            e.getMessage());
                    continue;
                }
                problem = "does not exist (yet): its runs will be claimed once it is created in one of "
                        + config.queues();
            } catch (DroverException e) {
                LOG.log(System.Logger.Level.DEBUG, "could not read job ''{0}'' to check its queue: {1}", slug,
                        e.getMessage());
                continue;
            }
            LOG.log(System.Logger.Level.WARNING, "worker {0} has a handler for job ''{1}'', which {2}",
                    config.workerId(), slug, problem);
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
