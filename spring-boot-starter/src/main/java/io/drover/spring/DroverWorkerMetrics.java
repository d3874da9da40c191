package io.drover.spring;

import io.drover.client.Outcome;
import io.drover.client.RunContext;
import io.drover.client.RunStatus;
import io.drover.client.Worker;
import io.drover.client.WorkerListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

/**
 * The worker's meters, bound to the application's Micrometer registry:
 * <ul>
 * <li>{@code drover.worker.runs} (counter; {@code job}, {@code outcome} = completed, failed, lost)</li>
 * <li>{@code drover.worker.run.duration} (timer; {@code job}): how long handlers ran</li>
 * <li>{@code drover.worker.runs.active} (gauge): runs whose handler runs now</li>
 * <li>{@code drover.worker.runs.held} (gauge): runs the worker holds a lease on</li>
 * <li>{@code drover.worker.errors} (counter; {@code operation} = claim, heartbeat, complete, release)</li>
 * <li>{@code drover.worker.outcomes.dropped} (counter): outcomes not reported after all retries</li>
 * </ul>
 * The {@code job} tag takes only the slugs of this worker's handlers, so its cardinality is theirs.
 */
public class DroverWorkerMetrics implements MeterBinder, WorkerListener {

    private final Supplier<Worker> worker;
    private final java.util.concurrent.atomic.AtomicInteger active = new java.util.concurrent.atomic.AtomicInteger();
    private volatile MeterRegistry registry;

    public DroverWorkerMetrics(Supplier<Worker> worker) {
        this.worker = worker;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        this.registry = registry;
        Gauge.builder("drover.worker.runs.active", active, java.util.concurrent.atomic.AtomicInteger::get)
                .description("Runs whose handler is running now").register(registry);
        Gauge.builder("drover.worker.runs.held", this, m -> {
            Worker w = m.worker.get();
            return w == null ? 0 : w.heldRuns();
        }).description("Runs the worker holds a lease on (running, buffered or awaiting acknowledgement)")
                .register(registry);
    }

    @Override
    public void onRunStarted(RunContext ctx) {
        active.incrementAndGet();
    }

    @Override
    public void onRunFinished(RunContext ctx, Outcome outcome, Duration elapsed) {
        active.decrementAndGet();
        MeterRegistry r = registry;
        if (r == null) {
            return;
        }
        Timer.builder("drover.worker.run.duration").description("How long handlers ran")
                .tag("job", ctx.jobSlug()).register(r).record(elapsed);
        runs(r, ctx.jobSlug(), outcome.isSuccess() ? "completed" : "failed").increment();
    }

    @Override
    public void onRunLost(RunContext ctx, RunStatus status) {
        MeterRegistry r = registry;
        if (r != null) {
            runs(r, ctx.jobSlug(), "lost").increment();
        }
    }

    @Override
    public void onError(String operation, Throwable error) {
        MeterRegistry r = registry;
        if (r != null) {
            Counter.builder("drover.worker.errors").description("Calls to the server that failed")
                    .tag("operation", operation).register(r).increment();
        }
    }

    @Override
    public void onOutcomesDropped(List<Outcome> outcomes, Throwable cause) {
        MeterRegistry r = registry;
        if (r != null) {
            Counter.builder("drover.worker.outcomes.dropped").description("Outcomes not reported after all retries")
                    .register(r).increment(outcomes.size());
        }
    }

    private static Counter runs(MeterRegistry r, String job, String outcome) {
        return Counter.builder("drover.worker.runs").description("Runs the worker's handlers finished")
                .tag("job", job).tag("outcome", outcome).register(r);
    }
}
