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
import io.drover.testing.DroverTest;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

@DroverTest(shared = true)
class WorkerCancelTest {

    static DroverClient client;

    @Test
    void aRunCanceledWhileExecutingIsSeenAsCanceledThroughTheHeartbeat() {
        client.createJob(JobSpec.builder("long").queue("long").build());
        Set<String> started = ConcurrentHashMap.newKeySet();
        Set<String> sawCancel = ConcurrentHashMap.newKeySet();
        Map<String, RunStatus> lost = new ConcurrentHashMap<>();
        Worker worker = SdkTesting.worker(client, "long")
                .lease(Duration.ofSeconds(5)).heartbeatInterval(Duration.ofMillis(100))
                .listener(new WorkerListener() {
                    @Override
                    public void onRunLost(RunContext ctx, RunStatus status) {
                        lost.put(ctx.runId(), status == null ? RunStatus.UNKNOWN : status);
                    }
                })
                .handler("long", (ctx, payload) -> {
                    started.add(ctx.runId());
                    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                    while (!ctx.isCanceled() && System.nanoTime() < deadline) {
                        Thread.sleep(10);
                    }
                    if (ctx.isCanceled()) {
                        sawCancel.add(ctx.runId());
                    }
                    return "a result that must be dropped";
                }).build();
        worker.start();
        try {
            Run run = client.trigger("long", TriggerRequest.of(null));
            Await.until("the handler to start", Duration.ofSeconds(30), () -> started.contains(run.id()));

            assertThat(client.cancelRun(run.id()).status()).isEqualTo(RunStatus.CANCELED);

            Await.until("the handler to see the cancel", Duration.ofSeconds(10), () -> sawCancel.contains(run.id()));
            // the context is marked canceled before the listener hears of it (RunContext.tryAbandon), so wait
            Await.until("the listener to hear of the lost run", Duration.ofSeconds(10), () -> lost.containsKey(run.id()));
            Await.until("the worker to let go of the run", Duration.ofSeconds(10), () -> worker.heldRuns() == 0);
            Run after = client.getRun(run.id());
            assertThat(after.status()).isEqualTo(RunStatus.CANCELED);
            assertThat(after.result() == null || after.result().isNull()).as("no result recorded").isTrue();
        } finally {
            worker.close();
        }
    }
}
