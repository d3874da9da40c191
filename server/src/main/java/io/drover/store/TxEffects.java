package io.drover.store;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What one transaction changed that others must hear about after it commits: queues that got ready
 * runs (wake-up entries, see {@code ClaimCursors}), the earliest new delayed time, metric counts,
 * and events to publish. {@link Db#tx} makes one per transaction (and {@link Db#read} one per
 * auto-commit unit); code running in it reaches it with {@link Db#effects(java.sql.Connection)},
 * so every change on that connection, however deeply nested, adds to the same collector. After a
 * successful commit, and never after a rollback, Db hands it once to every
 * {@link AfterCommitListener}, on the committing thread.
 */
public final class TxEffects {
    /** The counters the run path keeps (see {@code QueueMetrics}). */
    public enum Count { ENQUEUED, CLAIMED, COMPLETED, ATTEMPT_FAILED, REAPED }

    private static final int COUNTS = Count.values().length;
    private Set<String> ready;
    private Instant earliestDelay;
    private int[] counts; // made on first count: most transactions (reads, claims that found nothing) count nothing
    private List<Duration> startLatencies;
    private List<Object> published;
    private Map<JobQueue, JobTally> byJob; // made on first per-job count
    private boolean touched;

    /** A job (by slug) and the queue its runs went to: the labels of the per-job metrics. */
    public record JobQueue(String job, String queue) {}

    /**
     * What one transaction did to the runs of one (job, queue): counts, and the durations of the
     * attempts it ended in milliseconds. Folded here, recorded once after commit.
     */
    public static final class JobTally {
        private int enqueued;
        private int claimed;
        private int completed;
        private int attemptsFailed;
        private long[] completedMs = new long[0];
        private int completedN;
        private long[] failedMs = new long[0];
        private int failedN;

        void completedIn(long ms) {
            if (completedN == completedMs.length) {
                completedMs = java.util.Arrays.copyOf(completedMs, Math.max(4, completedN * 2));
            }
            completedMs[completedN++] = ms;
        }

        void failedIn(long ms) {
            if (failedN == failedMs.length) {
                failedMs = java.util.Arrays.copyOf(failedMs, Math.max(4, failedN * 2));
            }
            failedMs[failedN++] = ms;
        }

        public int enqueued() {
            return enqueued;
        }

        public int claimed() {
            return claimed;
        }

        public int completed() {
            return completed;
        }

        public int attemptsFailed() {
            return attemptsFailed;
        }

        /** Durations of the completed runs' last attempts, in ms. */
        public long[] completedMs() {
            return java.util.Arrays.copyOf(completedMs, completedN);
        }

        /** Durations of the failed attempts, in ms. */
        public long[] failedMs() {
            return java.util.Arrays.copyOf(failedMs, failedN);
        }

        JobTally copy() {
            JobTally t = new JobTally();
            t.enqueued = enqueued;
            t.claimed = claimed;
            t.completed = completed;
            t.attemptsFailed = attemptsFailed;
            t.completedMs = completedMs.clone();
            t.completedN = completedN;
            t.failedMs = failedMs.clone();
            t.failedN = failedN;
            return t;
        }
    }

    /** Runs of these wake-up entries became ready (a queue, {@code queue@firstId}, or the push queue). */
    public void ready(Collection<String> entries) {
        if (entries.isEmpty()) {
            return;
        }
        if (ready == null) {
            ready = new LinkedHashSet<>();
        }
        ready.addAll(entries);
        touched = true;
    }

    public void ready(String entry) {
        ready(List.of(entry));
    }

    /** A run became delayed until {@code at}: the promoter hears the earliest such time. */
    public void delayed(Instant at) {
        if (at != null && (earliestDelay == null || at.isBefore(earliestDelay))) {
            earliestDelay = at;
            touched = true;
        }
    }

    public void count(Count counter, int n) {
        if (n != 0) {
            if (counts == null) {
                counts = new int[COUNTS];
            }
            counts[counter.ordinal()] += n;
            touched = true;
        }
    }

    private JobTally tally(String job, String queue) {
        if (byJob == null) {
            byJob = new HashMap<>();
        }
        touched = true;
        return byJob.computeIfAbsent(new JobQueue(job, queue == null ? "" : queue), k -> new JobTally());
    }

    /** {@code n} runs of {@code job} were created in {@code queue}. */
    public void enqueued(String job, String queue, int n) {
        if (n != 0) {
            tally(job, queue).enqueued += n;
        }
    }

    /** One run of {@code job} was claimed (by a worker or the push dispatcher). */
    public void claimed(String job, String queue) {
        tally(job, queue).claimed++;
    }

    /** One run of {@code job} completed; its last attempt took {@code attemptMs} (negative: unknown). */
    public void completed(String job, String queue, long attemptMs) {
        JobTally t = tally(job, queue);
        t.completed++;
        if (attemptMs >= 0) {
            t.completedIn(attemptMs);
        }
    }

    /** One attempt of {@code job} failed, timed out or crashed after {@code attemptMs} (negative: unknown). */
    public void attemptFailed(String job, String queue, long attemptMs) {
        JobTally t = tally(job, queue);
        t.attemptsFailed++;
        if (attemptMs >= 0) {
            t.failedIn(attemptMs);
        }
    }

    /** Per (job, queue) counts and durations of this transaction. */
    public Map<JobQueue, JobTally> byJob() {
        return byJob == null ? Map.of() : Collections.unmodifiableMap(byJob);
    }

    /** Time from a claimed run's scheduled time to its start. */
    public void startLatency(Duration d) {
        if (startLatencies == null) {
            startLatencies = new ArrayList<>();
        }
        startLatencies.add(d);
        touched = true;
    }

    /** An event for listeners after commit (the coming live stream and webhooks). */
    public void publish(Object event) {
        if (published == null) {
            published = new ArrayList<>();
        }
        published.add(event);
        touched = true;
    }

    public Set<String> ready() {
        return ready == null ? Set.of() : Collections.unmodifiableSet(ready);
    }

    /** The earliest delayed time, or null. */
    public Instant earliestDelay() {
        return earliestDelay;
    }

    public int count(Count counter) {
        return counts == null ? 0 : counts[counter.ordinal()];
    }

    public List<Duration> startLatencies() {
        return startLatencies == null ? List.of() : Collections.unmodifiableList(startLatencies);
    }

    public List<Object> published() {
        return published == null ? List.of() : Collections.unmodifiableList(published);
    }

    /** True when nothing was collected: listeners are not called. */
    public boolean isEmpty() {
        return !touched;
    }

    /** A copy of what is collected so far, to go back to when a savepoint is rolled back. */
    public TxEffects mark() {
        TxEffects m = new TxEffects();
        m.restore(this);
        return m;
    }

    /** Forgets what was collected since {@code mark} (its savepoint was rolled back). */
    public void restoreTo(TxEffects mark) {
        restore(mark);
    }

    private void restore(TxEffects from) {
        ready = from.ready == null ? null : new LinkedHashSet<>(from.ready);
        earliestDelay = from.earliestDelay;
        counts = from.counts == null ? null : from.counts.clone();
        startLatencies = from.startLatencies == null ? null : new ArrayList<>(from.startLatencies);
        published = from.published == null ? null : new ArrayList<>(from.published);
        if (from.byJob == null) {
            byJob = null;
        } else {
            byJob = new HashMap<>();
            from.byJob.forEach((k, v) -> byJob.put(k, v.copy()));
        }
        touched = from.touched;
    }
}
