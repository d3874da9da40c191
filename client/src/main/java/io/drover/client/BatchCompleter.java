package io.drover.client;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Reports outcomes in batches: one thread sends a batch when {@code batchSize} outcomes wait or
 * the oldest has waited {@code linger}. A batch that gets no answer is retried with backoff up to
 * {@code maxRetries} times; only then, or on an answer that no retry can change, is it handed to
 * {@link Callback#dropped}, never discarded silently.
 */
final class BatchCompleter {

    /** Sends one batch; the worker's implementation calls {@code POST /v1/worker/complete}. */
    interface Transport {
        List<OutcomeResult> send(List<Outcome> batch);
    }

    /** Learns the fate of each outcome. */
    interface Callback {
        void acknowledged(Outcome outcome, OutcomeResult result);

        void dropped(List<Outcome> outcomes, Throwable cause);
    }

    private final Transport transport;
    private final Callback callback;
    private final int batchSize;
    private final long lingerNanos;
    private final int maxRetries;
    private final Duration retryDelay;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private boolean closing;
    private volatile boolean aborted;
    private final int senders;
    private final List<Thread> flushers = new ArrayList<>();

    BatchCompleter(Transport transport, Callback callback, int batchSize, Duration linger, int maxRetries,
                   Duration retryDelay) {
        this(transport, callback, batchSize, linger, maxRetries, retryDelay, 1);
    }

    /**
     * @param senders how many batches may be in flight at once; with more than one, a batch is
     *        sent while the previous one waits for its answer (outcomes of different runs are
     *        independent, so their order does not matter)
     */
    BatchCompleter(Transport transport, Callback callback, int batchSize, Duration linger, int maxRetries,
                   Duration retryDelay, int senders) {
        this.senders = senders;
        this.transport = transport;
        this.callback = callback;
        this.batchSize = batchSize;
        this.lingerNanos = linger.toNanos();
        this.maxRetries = maxRetries;
        this.retryDelay = retryDelay;
    }

    void start(String name) {
        for (int i = 0; i < senders; i++) {
            flushers.add(Threads.startDaemon(senders == 1 ? name : name + "-" + i, this::flushLoop));
        }
    }

    /** Queues an outcome; returns false once {@link #close} has begun, so the caller must report it itself. */
    boolean submit(Outcome outcome) {
        lock.lock();
        try {
            if (closing) {
                return false;
            }
            queue.add(new Pending(outcome, System.nanoTime()));
            changed.signalAll();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Sends everything queued, waiting up to {@code timeout}; what is still unsent then is dropped. */
    void close(Duration timeout) throws InterruptedException {
        lock.lock();
        try {
            closing = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean done = true;
        for (Thread flusher : flushers) {
            done &= Threads.join(flusher, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        }
        if (!done) {
            aborted = true;
            for (Thread flusher : flushers) {
                flusher.interrupt();
            }
            for (Thread flusher : flushers) {
                Threads.join(flusher, Duration.ofSeconds(5));
            }
        }
    }

    private void flushLoop() {
        List<Outcome> batch;
        while ((batch = takeBatch()) != null) {
            deliver(batch, 0);
        }
    }

    /** Waits for a full batch or the linger of the oldest outcome; null once closed and empty. */
    private List<Outcome> takeBatch() {
        lock.lock();
        try {
            while (true) {
                while (queue.isEmpty()) {
                    if (closing) {
                        return null;
                    }
                    changed.awaitUninterruptibly();
                }
                long wait;
                // Another sender may take the outcomes while this one lingers: then wait anew.
                while (!queue.isEmpty() && queue.size() < batchSize && !closing
                        && (wait = queue.peek().enqueuedNanos() + lingerNanos - System.nanoTime()) > 0) {
                    changed.awaitNanos(wait);
                }
                if (!queue.isEmpty()) {
                    break;
                }
            }
            List<Outcome> batch = new ArrayList<>(Math.min(batchSize, queue.size()));
            while (batch.size() < batchSize && !queue.isEmpty()) {
                batch.add(queue.poll().outcome());
            }
            return batch;
        } catch (InterruptedException e) {
            // Only close() interrupts, after setting aborted: drain so that deliver() drops the rest.
            List<Outcome> rest = queue.stream().map(Pending::outcome).toList();
            queue.clear();
            return rest.isEmpty() ? null : rest;
        } finally {
            lock.unlock();
        }
    }

    private void deliver(List<Outcome> batch, int depth) {
        Backoff backoff = new Backoff(retryDelay, retryDelay.multipliedBy(20));
        for (int retry = 0; ; retry++) {
            Throwable failure;
            if (aborted) {
                callback.dropped(batch, new DroverException("worker shut down before the outcomes were sent", null));
                return;
            }
            try {
                acknowledge(batch, transport.send(batch));
                return;
            } catch (DroverApiException e) {
                if (e.httpStatus() == 413) {
                    splitTooLarge(batch, depth);
                    return;
                }
                if (e.httpStatus() < 500 && e.httpStatus() != 429) {
                    callback.dropped(batch, e);
                    return;
                }
                failure = e;
            } catch (RuntimeException e) {
                failure = e;
            }
            if (retry >= maxRetries || !pause(backoff.next())) {
                callback.dropped(batch, failure);
                return;
            }
        }
    }

    /** A batch over the server's body limit is halved; a single result too large fails its run for good. */
    private void splitTooLarge(List<Outcome> batch, int depth) {
        if (batch.size() > 1) {
            int half = batch.size() / 2;
            deliver(batch.subList(0, half), depth + 1);
            deliver(batch.subList(half, batch.size()), depth + 1);
        } else if (batch.get(0).isSuccess() && depth < 64) {
            Outcome tooLarge = Outcome.failure(batch.get(0).runId(), new ErrorInfo("ResultTooLarge",
                    "the handler's result is larger than the server accepts", null), false);
            if (batch.get(0).attempt() != null) {
                tooLarge = tooLarge.withAttempt(batch.get(0).attempt());
            }
            deliver(List.of(tooLarge), 64);
        } else {
            callback.dropped(batch, new DroverException("outcome larger than the server accepts", null));
        }
    }

    private void acknowledge(List<Outcome> batch, List<OutcomeResult> results) {
        Map<String, OutcomeResult> byRun = new HashMap<>();
        for (OutcomeResult result : results) {
            byRun.put(result.runId(), result);
        }
        for (Outcome outcome : batch) {
            callback.acknowledged(outcome, byRun.get(outcome.runId()));
        }
    }

    private record Pending(Outcome outcome, long enqueuedNanos) {
    }

    private boolean pause(Duration delay) {
        try {
            TimeUnit.MILLISECONDS.sleep(delay.toMillis());
            return !aborted;
        } catch (InterruptedException e) {
            return false;
        }
    }
}
