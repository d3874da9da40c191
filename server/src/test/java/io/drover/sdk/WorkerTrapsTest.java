package io.drover.sdk;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.client.DroverClient;
import io.drover.client.JobSpec;
import io.drover.client.Run;
import io.drover.client.RunContext;
import io.drover.client.RunStatus;
import io.drover.client.TriggerRequest;
import io.drover.client.Worker;
import io.drover.client.WorkerListener;
import io.drover.testing.Await;
import io.drover.testing.TestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The SDK worker traps of issue 15, each against a real server: a worker leaves runs of jobs it
 * has no handler for alone, warns about handlers it will never get runs for, hears of a cancel
 * within about a second and interrupts the handler, says what a lost run became, and an idle
 * worker closes at once.
 */
class WorkerTrapsTest {

    static TestServer server;
    static DroverClient client;

    @BeforeAll
    static void start() {
        server = TestServer.start();
        client = SdkTesting.client(server);
    }

    private static Run awaitRun(String runId, RunStatus status) {
        new io.drover.testing.Api(server).awaitStatus("/v1/runs/" + runId, status.wireName());
        return client.getRun(runId);
    }

    @AfterAll
    static void stop() {
        client.close();
        server.close();
    }

    /**
     * A rolling deploy adds job {@code roll-new} to a queue whose old workers know only
     * {@code roll-old}: they must leave its runs queued, attempt unused, for the new workers.
     */
    @Test
    void anOldWorkerLeavesTheRunsOfAJobItHasNoHandlerForQueued() {
        client.createJob(JobSpec.builder("roll-old").queue("roll").build());
        client.createJob(JobSpec.builder("roll-new").queue("roll").build());
        List<Run> newRuns = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            newRuns.add(client.trigger("roll-new", TriggerRequest.of(Map.of("i", i))));
        }
        Run oldRun = client.trigger("roll-old", TriggerRequest.of(null));
        Worker old = SdkTesting.worker(client, "roll").workerId("roll-old-worker")
                .handler("roll-old", (ctx, payload) -> "old").build();
        old.start();
        try {
            awaitRun(oldRun.id(), RunStatus.COMPLETED);
            // the worker has claimed (and would have taken everything ready) since the new runs were queued;
            // one more run of its own job, triggered after, shows it went on claiming past them
            Run later = client.trigger("roll-old", TriggerRequest.of(null));
            awaitRun(later.id(), RunStatus.COMPLETED);
            for (Run r : newRuns) {
                Run now = client.getRun(r.id());
                assertThat(now.status()).as("run of the job the old worker does not know: %s", now)
                        .isEqualTo(RunStatus.QUEUED);
                assertThat(now.attempt()).as("no attempt used").isZero();
            }
        } finally {
            old.close();
        }
        Worker fresh = SdkTesting.worker(client, "roll").workerId("roll-new-worker")
                .handler("roll-old", (ctx, payload) -> "old")
                .handler("roll-new", (ctx, payload) -> "new").build();
        fresh.start();
        try {
            for (Run r : newRuns) {
                Run done = awaitRun(r.id(), RunStatus.COMPLETED);
                assertThat(done.attempt()).isEqualTo(1);
                assertThat(done.workerId()).isEqualTo("roll-new-worker");
            }
        } finally {
            fresh.close();
        }
    }

    @Test
    void aHandlerWhoseJobLivesInAnotherQueueOrDoesNotExistIsWarnedAboutAtStart() {
        client.createJob(JobSpec.builder("warn-here").queue("warn-q").build());
        client.createJob(JobSpec.builder("warn-elsewhere").queue("warn-other-q").build());
        List<String> warnings = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
                    String text = record.getMessage();
                    if (record.getParameters() != null) {
                        text = java.text.MessageFormat.format(text, record.getParameters());
                    }
                    warnings.add(text);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger log = Logger.getLogger(Worker.class.getName());
        log.addHandler(capture);
        Worker worker = SdkTesting.worker(client, "warn-q").workerId("warn-worker")
                .handler("warn-here", (ctx, payload) -> null)
                .handler("warn-elsewhere", (ctx, payload) -> null)
                .handler("warn-missing", (ctx, payload) -> null).build();
        try {
            worker.start();
            Await.until("a warning about each handler it will not get runs for", Duration.ofSeconds(10),
                    () -> warnings.stream().anyMatch(w -> w.contains("warn-elsewhere"))
                            && warnings.stream().anyMatch(w -> w.contains("warn-missing")));
            assertThat(warnings).filteredOn(w -> w.contains("warn-elsewhere")).singleElement()
                    .satisfies(w -> assertThat(w).contains("warn-other-q").contains("[warn-q]"));
            assertThat(warnings).filteredOn(w -> w.contains("warn-missing")).singleElement()
                    .satisfies(w -> assertThat(w).contains("does not exist"));
            assertThat(warnings).noneMatch(w -> w.contains("'warn-here'"));
        } finally {
            worker.close();
            log.removeHandler(capture);
        }
    }

    /**
     * The handler sleeps (interruptibly) far longer than the test; heartbeats come every 10 s (the
     * default third of a 30 s lease). The cancel must interrupt it well before a heartbeat could.
     */
    @Test
    void aCancelInterruptsTheHandlerWithinAboutASecond() {
        client.createJob(JobSpec.builder("cancel-fast").queue("cancel-fast").build());
        Map<String, Long> startedAt = new ConcurrentHashMap<>();
        Map<String, Long> interruptedAt = new ConcurrentHashMap<>();
        Map<String, Boolean> canceledSeen = new ConcurrentHashMap<>();
        Map<String, RunStatus> lost = new ConcurrentHashMap<>();
        Worker worker = SdkTesting.worker(client, "cancel-fast")
                .listener(new WorkerListener() {
                    @Override
                    public void onRunLost(RunContext ctx, RunStatus status) {
                        lost.put(ctx.runId(), status == null ? RunStatus.UNKNOWN : status);
                    }
                })
                .handler("cancel-fast", (ctx, payload) -> {
                    startedAt.put(ctx.runId(), System.nanoTime());
                    try {
                        Thread.sleep(Duration.ofMinutes(2));
                    } catch (InterruptedException e) {
                        interruptedAt.put(ctx.runId(), System.nanoTime());
                        canceledSeen.put(ctx.runId(), ctx.isCanceled());
                        throw e;
                    }
                    return "slept";
                }).build();
        worker.start();
        try {
            Run run = client.trigger("cancel-fast", TriggerRequest.of(null));
            Await.until("the handler to start", Duration.ofSeconds(30), () -> startedAt.containsKey(run.id()));
            long canceled = System.nanoTime();
            assertThat(client.cancelRun(run.id()).status()).isEqualTo(RunStatus.CANCELED);
            Await.until("the handler to be interrupted", Duration.ofSeconds(9),
                    () -> interruptedAt.containsKey(run.id()));
            Duration latency = Duration.ofNanos(interruptedAt.get(run.id()) - canceled);
            System.out.println("cancel-to-interrupt latency: " + latency.toMillis() + " ms");
            assertThat(latency).as("cancel to interrupt (a heartbeat would take ~10 s)")
                    .isLessThan(Duration.ofSeconds(3));
            assertThat(canceledSeen.get(run.id())).as("ctx.isCanceled() when interrupted").isTrue();
            Await.until("the listener to hear of it", Duration.ofSeconds(5), () -> lost.containsKey(run.id()));
            assertThat(lost.get(run.id())).isEqualTo(RunStatus.CANCELED);
            Await.until("the worker to let go of the run", Duration.ofSeconds(5), () -> worker.heldRuns() == 0);
            assertThat(client.getRun(run.id()).status()).isEqualTo(RunStatus.CANCELED);
        } finally {
            worker.close();
        }
    }

    /** Without the poll, the batched heartbeat finds the cancel: the listener gets the run's status, not null. */
    @Test
    void aRunLostAtAHeartbeatIsReportedWithItsStatus() {
        client.createJob(JobSpec.builder("lost-status").queue("lost-status").build());
        Map<String, RunStatus> lost = new ConcurrentHashMap<>();
        Map<String, Boolean> lostWithNull = new ConcurrentHashMap<>();
        Map<String, Boolean> started = new ConcurrentHashMap<>();
        Worker worker = SdkTesting.worker(client, "lost-status")
                .lease(Duration.ofSeconds(5)).heartbeatInterval(Duration.ofMillis(200))
                .cancelPollInterval(Duration.ZERO)
                .listener(new WorkerListener() {
                    @Override
                    public void onRunLost(RunContext ctx, RunStatus status) {
                        if (status == null) {
                            lostWithNull.put(ctx.runId(), true);
                        } else {
                            lost.put(ctx.runId(), status);
                        }
                    }
                })
                .handler("lost-status", (ctx, payload) -> {
                    started.put(ctx.runId(), true);
                    Thread.sleep(Duration.ofMinutes(2));
                    return null;
                }).build();
        worker.start();
        try {
            Run run = client.trigger("lost-status", TriggerRequest.of(null));
            Await.until("the handler to start", Duration.ofSeconds(30), () -> started.containsKey(run.id()));
            client.cancelRun(run.id());
            Await.until("the heartbeat to find the cancel", Duration.ofSeconds(10),
                    () -> lost.containsKey(run.id()) || lostWithNull.containsKey(run.id()));
            assertThat(lostWithNull).as("onRunLost with a null status").isEmpty();
            assertThat(lost.get(run.id())).isEqualTo(RunStatus.CANCELED);
        } finally {
            worker.close();
        }
    }

    /** An idle worker's claim is parked on the server for up to claimWait (10 s here, the default). */
    @Test
    void closingAnIdleWorkerDoesNotWaitOutTheLongPoll() {
        client.createJob(JobSpec.builder("idle-close").queue("idle-close").build());
        Worker worker = io.drover.client.Worker.builder().client(client).queue("idle-close")
                .claimWait(Duration.ofSeconds(10))
                .handler("idle-close", (ctx, payload) -> "done").build();
        worker.start();
        Run run = client.trigger("idle-close", TriggerRequest.of(null));
        awaitRun(run.id(), RunStatus.COMPLETED);
        // Its next claim went out as soon as the run was handed to its handler (7 places were still
        // free), before the run completed: it is parked on the server now, nothing else being ready.
        long before = System.nanoTime();
        worker.close();
        Duration took = Duration.ofNanos(System.nanoTime() - before);
        System.out.println("close() of an idle worker took " + took.toMillis() + " ms");
        assertThat(took).as("close() of an idle worker (claimWait 10 s)").isLessThan(Duration.ofSeconds(2));
        assertThat(worker.isRunning()).isFalse();
    }
}
