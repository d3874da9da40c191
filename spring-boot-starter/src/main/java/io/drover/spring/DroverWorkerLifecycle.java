package io.drover.spring;

import io.drover.client.DroverClient;
import io.drover.client.Job;
import io.drover.client.JobSpec;
import io.drover.client.Outcome;
import io.drover.client.RunContext;
import io.drover.client.RunStatus;
import io.drover.client.Worker;
import io.drover.client.WorkerBuilder;
import io.drover.client.WorkerListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Starts with the application context, after every bean is ready: reconciles the jobs declared in
 * code (the {@link DroverJob} attributes and {@link JobSpec} beans; created, or updated when they
 * differ, so a second start changes nothing), then starts a {@link Worker} whose handlers are the
 * {@link DroverJob} methods. Stops first when the context closes, gracefully: no new claims, running
 * handlers get {@code drover.worker.shutdown-timeout} to finish and report, the rest is released.
 */
public class DroverWorkerLifecycle implements SmartLifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(DroverWorkerLifecycle.class);

    private final DroverClient client;
    private final DroverProperties properties;
    private final DroverJobMethods methods;
    private final List<JobSpec> specs;
    private final List<WorkerListener> listeners;
    private volatile Worker worker;
    private volatile java.util.concurrent.CountDownLatch keepAlive;
    private volatile boolean running;

    public DroverWorkerLifecycle(DroverClient client, DroverProperties properties, DroverJobMethods methods,
                                 List<JobSpec> specs, List<WorkerListener> listeners) {
        this.client = client;
        this.properties = properties;
        this.methods = methods;
        this.specs = List.copyOf(specs);
        this.listeners = List.copyOf(listeners);
    }

    @Override
    public void start() {
        if (properties.getJobs().isReconcile()) {
            try {
                reconcile();
            } catch (io.drover.client.DroverTransportException e) {
                // The server is down: start anyway, the worker claims once it is back. A definition
                // the server refuses (4xx) stops the start-up instead.
                LOG.warn("Drover jobs not reconciled, the server at {} did not answer: {}", client.baseUrl(),
                        e.getMessage());
            }
        }
        if (properties.getWorker().isEnabled() && !methods.all().isEmpty()) {
            worker = buildWorker();
            worker.start();
            if (properties.getWorker().isKeepAlive()) {
                java.util.concurrent.CountDownLatch latch = new java.util.concurrent.CountDownLatch(1);
                keepAlive = latch;
                Thread t = new Thread(() -> {
                    try {
                        latch.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }, "drover-keep-alive");
                t.setDaemon(false);
                t.start();
            }
            LOG.info("Drover worker {} started for jobs {} on queues {}", worker.workerId(), slugs(),
                    worker.config().queues());
        }
        running = true;
    }

    /** Creates or updates every job declared in code, in order: annotations first, then JobSpec beans. */
    void reconcile() {
        Map<String, JobSpec> declared = new LinkedHashMap<>();
        for (JobMethod m : methods.all()) {
            if (m.annotation().define()) {
                declared.put(m.slug(), m.spec());
            }
        }
        for (JobSpec spec : specs) {
            declared.put(spec.slug(), spec);
        }
        for (JobSpec spec : declared.values()) {
            Job job = client.applyJob(spec);
            LOG.debug("Drover job {} at version {}", job.slug(), job.version());
        }
    }

    private Worker buildWorker() {
        DroverProperties.Worker w = properties.getWorker();
        WorkerBuilder b = Worker.builder().client(client)
                .concurrency(w.getConcurrency())
                .shutdownTimeout(w.getShutdownTimeout())
                .claimWait(w.getClaimWait())
                .lease(w.getLease());
        if (w.getId() != null && !w.getId().isBlank()) {
            b.workerId(w.getId());
        }
        for (String queue : queues()) {
            b.queue(queue);
        }
        for (JobMethod m : methods.all()) {
            int cap = m.annotation().concurrency();
            if (cap > 0) {
                b.handler(m.slug(), cap, m.handler(client.payloadMapper()));
            } else {
                b.handler(m.slug(), m.handler(client.payloadMapper()));
            }
        }
        if (!listeners.isEmpty()) {
            b.listener(new Listeners(listeners));
        }
        return b.build();
    }

    /** The configured queues, or else the queues the annotated jobs name ({@code default} for those naming none). */
    private List<String> queues() {
        if (!properties.getWorker().getQueues().isEmpty()) {
            return properties.getWorker().getQueues();
        }
        Set<String> queues = new LinkedHashSet<>();
        for (JobMethod m : methods.all()) {
            String q = m.annotation().queue();
            if (q.isEmpty()) {
                q = specs.stream().filter(s -> s.slug().equals(m.slug()) && s.queue() != null)
                        .map(JobSpec::queue).findFirst().orElse("default");
            }
            queues.add(q);
        }
        return new ArrayList<>(queues);
    }

    private List<String> slugs() {
        return methods.all().stream().map(JobMethod::slug).toList();
    }

    @Override
    public void stop() {
        Worker w = worker;
        if (w != null) {
            w.close();
            LOG.info("Drover worker {} stopped", w.workerId());
        }
        java.util.concurrent.CountDownLatch latch = keepAlive;
        if (latch != null) {
            latch.countDown();
        }
        running = false;
    }

    @Override
    public void stop(Runnable callback) {
        Worker w = worker;
        if (w == null) {
            running = false;
            callback.run();
            return;
        }
        // The worker's own stop waits for handlers; other lifecycles of this phase stop meanwhile.
        Thread t = new Thread(() -> {
            try {
                stop();
            } finally {
                callback.run();
            }
        }, "drover-worker-stop");
        t.start();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Stops before the web server and other lifecycles, starts after them. */
    @Override
    public int getPhase() {
        return SmartLifecycle.DEFAULT_PHASE;
    }

    /** @return the worker, or null when none runs (disabled, or no {@link DroverJob} method) */
    public Worker worker() {
        return worker;
    }

    /** Calls every listener, each guarded so that one failing does not skip the others. */
    private static final class Listeners implements WorkerListener {
        private final List<WorkerListener> all;

        Listeners(List<WorkerListener> all) {
            this.all = all;
        }

        private void each(java.util.function.Consumer<WorkerListener> call) {
            for (WorkerListener l : all) {
                try {
                    call.accept(l);
                } catch (RuntimeException e) {
                    LOG.warn("Drover worker listener {} failed: {}", l.getClass().getName(), e.toString());
                }
            }
        }

        @Override public void onRunStarted(RunContext ctx) { each(l -> l.onRunStarted(ctx)); }
        @Override public void onRunFinished(RunContext ctx, Outcome o, Duration d) { each(l -> l.onRunFinished(ctx, o, d)); }
        @Override public void onRunLost(RunContext ctx, RunStatus s) { each(l -> l.onRunLost(ctx, s)); }
        @Override public void onError(String op, Throwable e) { each(l -> l.onError(op, e)); }
        @Override public void onOutcomesDropped(List<Outcome> o, Throwable c) { each(l -> l.onOutcomesDropped(o, c)); }
    }
}
