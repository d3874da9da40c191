package io.drover.metrics;

import io.drover.store.TxEffects;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Run counters and the attempt duration histogram labelled by {@code job} (the job's slug) and
 * {@code queue}. A transaction folds its runs per (job, queue) in memory ({@link TxEffects}); after
 * commit they are added here, one increment per label set, so the hot path pays one map entry per
 * job it touched, not a meter lookup per run.
 *
 * <p>Cardinality is bounded: the first {@code maxJobs} distinct job slugs this node sees keep their
 * name; every later one is counted as {@code job="_other"} (until the node restarts). Queues are
 * few by nature and are not capped.
 */
public final class JobMetrics {
    /** The job label of runs of jobs past the cap. */
    public static final String OTHER = "_other";

    private final MeterRegistry registry;
    private final int maxJobs;
    private final Set<String> named = ConcurrentHashMap.newKeySet();
    private final Map<TxEffects.JobQueue, Meters> meters = new ConcurrentHashMap<>();

    public JobMetrics(MeterRegistry registry, int maxJobs) {
        if (maxJobs < 1) {
            throw new IllegalArgumentException("maxJobs must be at least 1, got " + maxJobs);
        }
        this.registry = registry;
        this.maxJobs = maxJobs;
    }

    /** After commit: adds one transaction's per-job counts and durations. */
    public void record(Map<TxEffects.JobQueue, TxEffects.JobTally> byJob) {
        byJob.forEach((key, tally) -> {
            Meters m = meters(key);
            if (tally.enqueued() > 0) {
                m.enqueued.increment(tally.enqueued());
            }
            if (tally.claimed() > 0) {
                m.claimed.increment(tally.claimed());
            }
            if (tally.completed() > 0) {
                m.completed.increment(tally.completed());
            }
            if (tally.attemptsFailed() > 0) {
                m.attemptsFailed.increment(tally.attemptsFailed());
            }
            for (long ms : tally.completedMs()) {
                m.completedDuration.record(ms, TimeUnit.MILLISECONDS);
            }
            for (long ms : tally.failedMs()) {
                m.failedDuration.record(ms, TimeUnit.MILLISECONDS);
            }
        });
    }

    /** The job label for {@code slug}: itself while under the cap (or already named), else {@link #OTHER}. */
    String jobLabel(String slug) {
        if (named.contains(slug)) {
            return slug;
        }
        synchronized (named) {
            if (named.contains(slug)) {
                return slug;
            }
            if (named.size() < maxJobs) {
                named.add(slug);
                return slug;
            }
            return OTHER;
        }
    }

    private Meters meters(TxEffects.JobQueue key) {
        Meters m = meters.get(key);
        if (m != null) {
            return m;
        }
        String job = jobLabel(key.job());
        if (OTHER.equals(job)) {
            // Not cached under the slug: an endless stream of new slugs must not grow this map.
            return meters.computeIfAbsent(new TxEffects.JobQueue(OTHER, key.queue()), k -> new Meters(registry, k));
        }
        return meters.computeIfAbsent(key, k -> new Meters(registry, k));
    }

    /** The meters of one (job, queue). */
    private static final class Meters {
        final Counter enqueued;
        final Counter claimed;
        final Counter completed;
        final Counter attemptsFailed;
        final Timer completedDuration;
        final Timer failedDuration;

        Meters(MeterRegistry registry, TxEffects.JobQueue key) {
            Tags tags = Tags.of("job", key.job(), "queue", key.queue());
            enqueued = Counter.builder("drover_job_runs_enqueued").description("Runs created, by job and queue")
                    .tags(tags).register(registry);
            claimed = Counter.builder("drover_job_runs_claimed")
                    .description("Runs claimed by workers or the push dispatcher, by job and queue")
                    .tags(tags).register(registry);
            completed = Counter.builder("drover_job_runs_completed").description("Runs completed, by job and queue")
                    .tags(tags).register(registry);
            attemptsFailed = Counter.builder("drover_job_attempts_failed")
                    .description("Attempts that failed, timed out or crashed, by job and queue")
                    .tags(tags).register(registry);
            completedDuration = duration(registry, tags.and("outcome", "completed"));
            failedDuration = duration(registry, tags.and("outcome", "failed"));
        }

        /**
         * Fixed buckets (not Micrometer's ~70 percentile buckets) so that 200 jobs stay a few
         * thousand series: 5 ms to 1 h.
         */
        private static Timer duration(MeterRegistry registry, Tags tags) {
            return Timer.builder("drover_run_duration")
                    .description("Duration of an attempt, from its claim to its outcome, by job, queue and outcome")
                    .tags(tags)
                    .serviceLevelObjectives(BUCKETS)
                    .register(registry);
        }
    }

    private static final Duration[] BUCKETS = {
        Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
        Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
        Duration.ofMillis(2_500), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30),
        Duration.ofMinutes(1), Duration.ofMinutes(5), Duration.ofMinutes(15), Duration.ofHours(1)};
}
