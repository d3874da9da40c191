package io.drover.sdk;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.client.DroverClient;
import io.drover.client.JobSpec;
import io.drover.client.Run;
import io.drover.client.RunStatus;
import io.drover.client.TriggerRequest;
import io.drover.client.Worker;
import io.drover.testing.Await;
import io.drover.testing.DroverTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

@DroverTest(shared = true)
class WorkerCompetitionTest {

    static DroverClient client;

    @Test
    void fourCompetingWorkersRunAThousandRunsExactlyOnce() {
        client.createJob(JobSpec.builder("tally").queue("tally").build());
        Map<String, AtomicInteger> executions = new ConcurrentHashMap<>();
        Map<String, String> executedBy = new ConcurrentHashMap<>();
        List<Worker> workers = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            workers.add(SdkTesting.worker(client, "tally").workerId("competitor-" + i).concurrency(16)
                    .handler("tally", (ctx, payload) -> {
                        executions.computeIfAbsent(ctx.runId(), id -> new AtomicInteger()).incrementAndGet();
                        executedBy.put(ctx.runId(), ctx.workerId());
                        return Map.of("double", payload.path("n").asInt() * 2);
                    })
                    .build());
        }
        workers.forEach(Worker::start);

        List<Run> triggered = client.triggerBatch("tally",
                IntStream.range(0, 1000).mapToObj(n -> TriggerRequest.of(Map.of("n", n))).toList());
        Await.until("every run handled", Duration.ofSeconds(120), () -> executions.size() == 1000);
        Await.until("every run completed", Duration.ofSeconds(30),
                () -> SdkTesting.runs(client, "tally", RunStatus.COMPLETED).size() == 1000);
        workers.parallelStream().forEach(Worker::close);

        assertThat(triggered).hasSize(1000);
        assertThat(executions.keySet()).isEqualTo(triggered.stream().map(Run::id).collect(Collectors.toSet()));
        assertThat(executions.values()).allSatisfy(count -> assertThat(count.get()).isEqualTo(1));
        assertThat(Set.copyOf(executedBy.values())).as("workers that took part").hasSizeGreaterThan(1);
        List<Run> done = SdkTesting.runs(client, "tally", null);
        assertThat(done).hasSize(1000).allSatisfy(run -> {
            assertThat(run.status()).isEqualTo(RunStatus.COMPLETED);
            assertThat(run.attempt()).isEqualTo(1);
            assertThat(run.result().path("double").asInt()).isEqualTo(run.payload().path("n").asInt() * 2);
            assertThat(run.workerId()).isEqualTo(executedBy.get(run.id()));
        });
        assertThat(workers).allSatisfy(w -> assertThat(w.heldRuns()).isZero());
    }
}
