package io.drover.sdk;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.client.DroverClient;
import io.drover.client.JobSpec;
import io.drover.client.Run;
import io.drover.client.RunEvent;
import io.drover.client.RunStatus;
import io.drover.client.TriggerRequest;
import io.drover.client.Worker;
import io.drover.testing.Api;
import io.drover.testing.Await;
import io.drover.testing.DroverTest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

@DroverTest(shared = true)
class WorkerShutdownTest {

    static DroverClient client;
    static Api api;

    @Test
    void unfinishedRunsAreReleasedWithoutSpendingAnAttempt() {
        client.createJob(JobSpec.builder("stuck").queue("stuck").maxAttempts(3).build());
        Set<String> started = ConcurrentHashMap.newKeySet();
        Set<String> interrupted = ConcurrentHashMap.newKeySet();
        CountDownLatch never = new CountDownLatch(1);
        Worker worker = SdkTesting.worker(client, "stuck").concurrency(3).shutdownTimeout(Duration.ofMillis(300))
                .handler("stuck", (ctx, payload) -> {
                    started.add(ctx.runId());
                    try {
                        never.await();
                    } catch (InterruptedException e) {
                        interrupted.add(ctx.runId());
                        throw e;
                    }
                    return null;
                }).build();
        worker.start();
        List<Run> runs = IntStream.range(0, 3).mapToObj(i -> client.trigger("stuck", TriggerRequest.of(i))).toList();
        Await.until("three handlers running", Duration.ofSeconds(30), () -> started.size() == 3);

        worker.close();

        assertThat(interrupted).as("handlers still running at the timeout are interrupted").hasSize(3);
        for (Run run : runs) {
            Run now = client.getRun(run.id());
            assertThat(now.status()).isEqualTo(RunStatus.QUEUED);
            assertThat(now.attempt()).as("the released attempt does not count").isZero();
            assertThat(now.workerId()).isNull();
            assertThat(client.runEvents(run.id())).extracting(RunEvent::type).endsWith("claimed", "released");
        }
        assertThat(worker.heldRuns()).isZero();

        Worker next = SdkTesting.worker(client, "stuck").handler("stuck", (ctx, payload) -> "done").build();
        next.start();
        try {
            for (Run run : runs) {
                api.awaitStatus("/v1/runs/" + run.id(), "completed");
                Run done = client.getRun(run.id());
                assertThat(done.attempt()).isEqualTo(1);
            }
        } finally {
            next.close();
        }
    }

    @Test
    void handlersThatFinishWithinTheTimeoutAreReportedNotReleased() throws Exception {
        client.createJob(JobSpec.builder("finishing").queue("finishing").build());
        Set<String> started = ConcurrentHashMap.newKeySet();
        CountDownLatch proceed = new CountDownLatch(1);
        Worker worker = SdkTesting.worker(client, "finishing").concurrency(2).shutdownTimeout(Duration.ofSeconds(30))
                .handler("finishing", (ctx, payload) -> {
                    started.add(ctx.runId());
                    proceed.await();
                    return Map.of("finished", ctx.isCanceled() ? "canceled" : "normally");
                }).build();
        worker.start();
        List<Run> runs = IntStream.range(0, 2).mapToObj(i -> client.trigger("finishing", TriggerRequest.of(i))).toList();
        Await.until("both handlers running", Duration.ofSeconds(30), () -> started.size() == 2);

        CompletableFuture<Void> closing = CompletableFuture.runAsync(worker::close);
        Await.until("the worker to begin stopping", Duration.ofSeconds(5), () -> !worker.isRunning());
        assertThat(closing).isNotDone();
        proceed.countDown();
        closing.get();

        for (Run run : runs) {
            Run now = client.getRun(run.id());
            assertThat(now.status()).isEqualTo(RunStatus.COMPLETED);
            assertThat(now.result().path("finished").asText()).isEqualTo("normally");
        }
        worker.close(); // a second close is a no-op
    }

    @Test
    void closingAnIdleWorkerIsQuickAndIdempotent() {
        Worker worker = SdkTesting.worker(client, "idle").handler("idle", (ctx, payload) -> null).build();
        worker.start();
        long start = System.nanoTime();

        CompletableFuture<Void> other = CompletableFuture.runAsync(worker::close);
        worker.close();
        other.join();

        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        assertThat(worker.isRunning()).isFalse();
    }
}
