package io.drover.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/** Queue throughput and latency, recorded once at the store seam (not sprinkled through callers). */
public final class QueueMetrics {
    private final Counter enqueued;
    private final Counter claimed;
    private final Counter completed;
    private final Counter attemptsFailed;
    private final Counter reaped;
    private final Timer startLatency;

    public QueueMetrics(MeterRegistry registry) {
        enqueued = Counter.builder("drover_runs_enqueued").description("Runs created").register(registry);
        claimed = Counter.builder("drover_runs_claimed").description("Runs claimed by workers or the push dispatcher")
                .register(registry);
        completed = Counter.builder("drover_runs_completed").description("Runs completed").register(registry);
        attemptsFailed = Counter.builder("drover_attempts_failed")
                .description("Attempts that failed, timed out or crashed").register(registry);
        reaped = Counter.builder("drover_runs_reaped").description("Expired leases, deadlines and TTLs handled")
                .register(registry);
        startLatency = Timer.builder("drover_run_start_latency")
                .description("Time from a run being ready (scheduled_at) to its claim")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofMinutes(10))
                .register(registry);
    }

    public static QueueMetrics noop() {
        return new QueueMetrics(new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
    }

    public void enqueued(int n) {
        enqueued.increment(n);
    }

    public void claimed(int n) {
        claimed.increment(n);
    }

    public void completed(int n) {
        completed.increment(n);
    }

    public void attemptFailed() {
        attemptsFailed.increment();
    }

    public void reaped(int n) {
        reaped.increment(n);
    }

    public void startLatency(Duration d) {
        startLatency.record(d.isNegative() ? Duration.ZERO : d);
    }
}
