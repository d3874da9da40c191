package io.drover.sdk;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.client.ClaimRequest;
import io.drover.client.DroverClient;
import io.drover.client.JobSpec;
import io.drover.client.Run;
import io.drover.client.RunHandler;
import io.drover.client.RunStatus;
import io.drover.client.TriggerRequest;
import io.drover.client.Worker;
import io.drover.testing.Api;
import io.drover.testing.Await;
import io.drover.testing.DroverTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Claim-ahead: runs claimed beyond the free places wait in the worker, leased, and never run early. */
@DroverTest(shared = true)
class WorkerPrefetchTest {

    static DroverClient client;
    static Api api;

    /** Triggers {@code n} runs of {@code slug} with payloads {"i": 0..n-1}; their ids in order. */
    private static List<String> triggerMany(String slug, int n) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ids.add(client.trigger(slug, TriggerRequest.of(Map.of("i", i))).id());
        }
        return ids;
    }

    /** A handler that counts each execution of a run, then holds its place until the gate opens. */
    private static RunHandler countedUntil(CountDownLatch gate, Map<String, Integer> executions) {
        return (ctx, payload) -> {
            executions.merge(ctx.runId(), 1, Integer::sum);
            gate.await();
            return null;
        };
    }

    @Test
    void prefetchedRunsWaitInTheWorkerAndNeverExceedConcurrency() throws Exception {
        client.createJob(JobSpec.builder("pf").queue("pf").build());
        CountDownLatch gate = new CountDownLatch(1);
        AtomicInteger running = new AtomicInteger();
        AtomicInteger mostAtOnce = new AtomicInteger();
        Map<String, Integer> executions = new ConcurrentHashMap<>();
        Worker worker = SdkTesting.worker(client, "pf").concurrency(2).prefetch(6)
                .handler("pf", (ctx, payload) -> {
                    executions.merge(ctx.runId(), 1, Integer::sum);
                    mostAtOnce.accumulateAndGet(running.incrementAndGet(), Math::max);
                    try {
                        gate.await();
                    } finally {
                        running.decrementAndGet();
                    }
                    return null;
                }).build();
        List<String> ids = triggerMany("pf", 8);
        worker.start();
        try {
            Await.until("2 running and 6 prefetched", Duration.ofSeconds(30),
                    () -> running.get() == 2 && worker.heldRuns() == 8);
            assertThat(SdkTesting.runs(client, "pf", RunStatus.EXECUTING)).as("all 8 leased to the worker").hasSize(8);
            assertThat(executions).hasSize(2);

            gate.countDown();
            for (String id : ids) {
                api.awaitStatus("/v1/runs/" + id, "completed");
            }
            Await.until("the worker to let go of every run", Duration.ofSeconds(10), () -> worker.heldRuns() == 0);
        } finally {
            gate.countDown();
            worker.close();
        }
        assertThat(mostAtOnce.get()).isEqualTo(2);
        assertThat(executions.keySet()).containsExactlyInAnyOrderElementsOf(ids);
        assertThat(executions.values()).allMatch(n -> n == 1);
    }

    @Test
    void twoClaimersTogetherNeverTakeMoreThanConcurrencyPlusPrefetch() throws Exception {
        client.createJob(JobSpec.builder("pf-two").queue("pf-two").build());
        CountDownLatch gate = new CountDownLatch(1);
        Map<String, Integer> executions = new ConcurrentHashMap<>();
        Worker worker = SdkTesting.worker(client, "pf-two").concurrency(2).prefetch(6).claimers(2)
                .handler("pf-two", countedUntil(gate, executions)).build();
        List<String> ids = triggerMany("pf-two", 12);
        // Both claimers start at once with 8 places free; the room the first asks for is reserved,
        // so the second waits instead of asking for the same 8 places.
        worker.start();
        try {
            Await.until("2 running and 6 prefetched", Duration.ofSeconds(30),
                    () -> executions.size() == 2 && worker.heldRuns() == 8);
            List<Run> rest = client.claim(new ClaimRequest("pf-two-probe", List.of("pf-two"), 100, 0, 60_000));
            assertThat(rest).as("the worker left 4 of 12 queued").hasSize(4);
            assertThat(worker.heldRuns()).isEqualTo(8);
            for (Run r : rest) {
                client.release(r.id(), "pf-two-probe");
            }
            gate.countDown();
            for (String id : ids) {
                api.awaitStatus("/v1/runs/" + id, "completed");
            }
        } finally {
            gate.countDown();
            worker.close();
        }
        assertThat(executions.keySet()).containsExactlyInAnyOrderElementsOf(ids);
        assertThat(executions.values()).as("each run executed exactly once").allMatch(n -> n == 1);
    }

    @Test
    void closingReleasesPrefetchedRunsUnstartedAndAnotherWorkerRunsThemOnce() throws Exception {
        client.createJob(JobSpec.builder("pf-close").queue("pf-close").build());
        CountDownLatch gate = new CountDownLatch(1);
        Map<String, Integer> executions = new ConcurrentHashMap<>();
        Worker first = SdkTesting.worker(client, "pf-close").concurrency(1).prefetch(5)
                .handler("pf-close", countedUntil(gate, executions)).build();
        List<String> ids = triggerMany("pf-close", 6);
        first.start();
        Await.until("1 running and 5 prefetched", Duration.ofSeconds(30),
                () -> executions.size() == 1 && first.heldRuns() == 6);
        Thread closer = Thread.ofPlatform().start(() -> first.stop(Duration.ofSeconds(20)));
        // Once the worker says it is no longer running it starts no run; only then may the handler end.
        Await.until("the worker to begin stopping", Duration.ofSeconds(10), () -> !first.isRunning());
        gate.countDown();
        closer.join(Duration.ofSeconds(40));
        assertThat(closer.isAlive()).isFalse();
        assertThat(first.heldRuns()).isZero();
        assertThat(executions).as("the prefetched runs never started on the closed worker").hasSize(1);

        List<Run> queued = SdkTesting.runs(client, "pf-close", RunStatus.QUEUED);
        assertThat(queued).hasSize(5).allMatch(r -> r.attempt() == 0, "a release does not use up an attempt");

        Worker second = SdkTesting.worker(client, "pf-close").concurrency(4)
                .handler("pf-close", (ctx, payload) -> {
                    executions.merge(ctx.runId(), 1, Integer::sum);
                    return null;
                }).build();
        second.start();
        try {
            for (String id : ids) {
                api.awaitStatus("/v1/runs/" + id, "completed");
            }
        } finally {
            second.close();
        }
        assertThat(executions.keySet()).containsExactlyInAnyOrderElementsOf(ids);
        assertThat(executions.values()).as("each run executed exactly once").allMatch(n -> n == 1);
    }
}
