package io.drover.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Starts claimed runs' handlers, each on its own virtual thread, at most {@code concurrency} at
 * once; runs claimed ahead of a free place (prefetch) wait in a local FIFO buffer, in the order
 * the server gave them (priority, then age). Turns what a handler returns or throws into an
 * {@link Outcome} for the completer, unless the run was taken away meanwhile.
 */
final class RunExecutor {

    private final Map<String, RunHandler> handlers;
    /** Per-job caps on handlers running at once (jobs without one are not counted); guarded by lock. */
    private final Map<String, Integer> limits;
    private final Map<String, Integer> running = new java.util.HashMap<>();
    private final DroverClient client;
    private final String workerId;
    private final InFlight inFlight;
    private final Semaphore slots;
    private final BatchCompleter completer;
    private final Notifier notifier;
    private final ReentrantLock lock = new ReentrantLock();
    private final ArrayDeque<RunContext> buffer = new ArrayDeque<>();
    private volatile boolean stopped;

    RunExecutor(Map<String, RunHandler> handlers, DroverClient client, String workerId, InFlight inFlight,
                Semaphore slots, BatchCompleter completer, Notifier notifier) {
        this(handlers, Map.of(), client, workerId, inFlight, slots, completer, notifier);
    }

    RunExecutor(Map<String, RunHandler> handlers, Map<String, Integer> limits, DroverClient client, String workerId,
                InFlight inFlight, Semaphore slots, BatchCompleter completer, Notifier notifier) {
        this.handlers = handlers;
        this.limits = Map.copyOf(limits);
        this.client = client;
        this.workerId = workerId;
        this.inFlight = inFlight;
        this.slots = slots;
        this.completer = completer;
        this.notifier = notifier;
    }

    /** Holds the claimed run and starts its handler as soon as a place is free. */
    void execute(Run run) {
        RunContext ctx = new RunContext(run, workerId, client);
        inFlight.add(ctx);
        lock.lock();
        try {
            buffer.add(ctx);
        } finally {
            lock.unlock();
        }
        dispatch();
    }

    /**
     * Starts no more handlers; runs still in the buffer stay held (in {@link InFlight}) for the
     * worker's shutdown to release.
     */
    void stop() {
        stopped = true;
    }

    /** Starts buffered runs while places are free. */
    private void dispatch() {
        while (!stopped && slots.tryAcquire()) {
            RunContext next;
            lock.lock();
            try {
                next = limits.isEmpty() ? buffer.poll() : takeAllowed();
            } finally {
                lock.unlock();
            }
            if (next == null) {
                slots.release();
                // A run added while this thread held the place found no place; look once more.
                lock.lock();
                try {
                    if (limits.isEmpty() ? buffer.isEmpty() : !hasAllowed()) {
                        return;
                    }
                } finally {
                    lock.unlock();
                }
                continue;
            }
            if (!next.isExecuting()) {
                // Lost (canceled, reaped) while it waited: the heartbeater already let it go.
                unCount(next);
                slots.release();
                continue;
            }
            Thread thread = Threads.unstartedShortLived("drover-run-" + next.runId(), () -> runHandler(next));
            next.bindThread(thread);
            thread.start();
        }
    }

    /**
     * The first buffered run whose job is under its cap (counted as running from here), or null.
     * Runs of a job at its cap stay in the buffer, in order, for a later dispatch.
     */
    private RunContext takeAllowed() {
        for (java.util.Iterator<RunContext> it = buffer.iterator(); it.hasNext(); ) {
            RunContext ctx = it.next();
            Integer limit = limits.get(ctx.jobSlug());
            if (limit == null) {
                it.remove();
                return ctx;
            }
            int now = running.getOrDefault(ctx.jobSlug(), 0);
            if (now < limit) {
                running.put(ctx.jobSlug(), now + 1);
                it.remove();
                return ctx;
            }
        }
        return null;
    }

    private boolean hasAllowed() {
        for (RunContext ctx : buffer) {
            Integer limit = limits.get(ctx.jobSlug());
            if (limit == null || running.getOrDefault(ctx.jobSlug(), 0) < limit) {
                return true;
            }
        }
        return false;
    }

    private void unCount(RunContext ctx) {
        if (limits.containsKey(ctx.jobSlug())) {
            lock.lock();
            try {
                running.merge(ctx.jobSlug(), -1, Integer::sum);
            } finally {
                lock.unlock();
            }
        }
    }

    private void runHandler(RunContext ctx) {
        long start = System.nanoTime();
        Outcome outcome;
        try {
            RunMdc.put(ctx);
            notifier.onRunStarted(ctx);
            outcome = invoke(ctx);
            if (outcome == null) {
                // The run waits for an event: the worker let go of it, and reports nothing.
                if (inFlight.finish(ctx)) {
                    inFlight.remove(ctx.runId());
                }
                return;
            }
            outcome = outcome.withAttempt(ctx.attempt());
            RunContext.Suspension suspension = ctx.suspension();
            if (suspension != null) {
                // The handler asked to wait for its children or to continue: no result to report.
                if (inFlight.finish(ctx)) {
                    outcome = suspend(ctx, suspension);
                }
            } else if (inFlight.finish(ctx)) {
                report(outcome);
            }
            notifier.onRunFinished(ctx, outcome, Duration.ofNanos(System.nanoTime() - start));
        } finally {
            RunMdc.clear();
            ctx.bindThread(null);
            unCount(ctx);
            slots.release();
            dispatch();
        }
    }

    private Outcome invoke(RunContext ctx) {
        RunHandler handler = handlers.get(ctx.jobSlug());
        if (handler == null) {
            return Outcome.failure(ctx.runId(), new ErrorInfo("UnknownJob", "worker " + workerId
                    + " has no handler for job '" + ctx.jobSlug() + "'; it handles " + handlers.keySet(), null), false);
        }
        Object value;
        try {
            value = Tracing.around(ctx, () -> handler.handle(ctx, ctx.payload()));
        } catch (WaitingForEventException e) {
            return null;
        } catch (Throwable e) {
            // A worker outlives its handlers' bugs, so even an Error fails just this attempt.
            return Outcome.failure(ctx.runId(), ErrorInfo.from(e), !isNonRetryable(e));
        }
        try {
            ObjectMapper mapper = client.payloadMapper();
            return Outcome.success(ctx.runId(), value instanceof JsonNode node ? node : mapper.valueToTree(value));
        } catch (IllegalArgumentException e) {
            // The same value would fail to serialize on every retry.
            return Outcome.failure(ctx.runId(), ErrorInfo.from(e), false);
        }
    }

    /**
     * Tells the server what the handler asked for instead of a result: the run waits for its
     * children (without this worker), or completes with a continuation. A refusal (the lineage's
     * depth limit, say) fails the attempt: without retry for a 4xx, with retry for anything else.
     */
    private Outcome suspend(RunContext ctx, RunContext.Suspension s) {
        try {
            Run after = s.children() ? client.waitForChildren(ctx.runId(), workerId)
                    : client.continueRun(ctx.runId(), workerId, s.payload(), s.delayMs());
            inFlight.remove(ctx.runId());
            return Outcome.success(ctx.runId(), client.mapper().createObjectNode()
                    .put(s.children() ? "waiting_for" : "continuation", s.children() ? "children" : after.id()))
                    .withAttempt(ctx.attempt());
        } catch (DroverException e) {
            boolean refused = e instanceof DroverApiException api && api.httpStatus() >= 400 && api.httpStatus() < 500;
            Outcome failure = Outcome.failure(ctx.runId(), ErrorInfo.from(e), !refused).withAttempt(ctx.attempt());
            report(failure);
            return failure;
        }
    }

    private void report(Outcome outcome) {
        if (completer.submit(outcome)) {
            return;
        }
        // The completer closed during shutdown while this handler was finishing: report directly.
        try {
            client.completeBatch(workerId, List.of(outcome));
            inFlight.remove(outcome.runId());
        } catch (DroverException e) {
            notifier.onOutcomesDropped(List.of(outcome), e);
        }
    }

    static boolean isNonRetryable(Throwable error) {
        Throwable t = error;
        // Bounded, because a cause chain can loop.
        for (int depth = 0; t != null && depth < 32; depth++, t = t.getCause()) {
            if (t instanceof NonRetryableException) {
                return true;
            }
        }
        return false;
    }
}
