package io.drover.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.drover.client.DroverClient;
import io.drover.client.DroverException;
import io.drover.client.Job;
import io.drover.client.JobSpec;
import io.drover.client.Run;
import io.drover.client.RunStatus;
import io.drover.client.Schedule;
import io.drover.client.TriggerRequest;
import io.drover.client.Worker;
import io.drover.client.WorkflowRun;
import io.drover.testing.DroverTest;
import io.drover.testing.TestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

/**
 * The SDK pieces a worker application needs besides claiming: per-handler concurrency, the run in
 * the logging MDC, a payload mapper of its own, jobs declared in code (create if absent, apply),
 * typed results and the workflow client.
 */
@DroverTest
class WorkerCompletenessTest {

    static TestServer server;
    static DroverClient client;

    static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void aHandlerCapLimitsItsJobWhileOtherJobsKeepRunning() throws Exception {
        client.createJob(JobSpec.builder("capped").queue("cap-q").build());
        client.createJob(JobSpec.builder("free").queue("cap-q").build());
        AtomicInteger now = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch cappedStarted = new CountDownLatch(1);
        try (Worker worker = SdkTesting.worker(client, "cap-q").concurrency(4)
                .handler("capped", 1, (ctx, payload) -> {
                    most.accumulateAndGet(now.incrementAndGet(), Math::max);
                    cappedStarted.countDown();
                    try {
                        release.await(30, TimeUnit.SECONDS);
                    } finally {
                        now.decrementAndGet();
                    }
                    return null;
                })
                .handler("free", (ctx, payload) -> "ok")
                .build()) {
            worker.start();
            List<String> capped = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                capped.add(client.trigger("capped", TriggerRequest.of(Map.of("i", i))).id());
            }
            assertThat(cappedStarted.await(30, TimeUnit.SECONDS)).isTrue();
            // While one capped run blocks, the others of its job wait, but runs of another job go through.
            Run free = client.awaitRun(client.trigger("free", TriggerRequest.of(null)).id(), WAIT);
            assertThat(free.status()).isEqualTo(RunStatus.COMPLETED);
            assertThat(capped.stream().map(id -> client.getRun(id).status()).filter(s -> s == RunStatus.COMPLETED))
                    .isEmpty();
            release.countDown();
            for (String id : capped) {
                assertThat(client.awaitRun(id, WAIT).status()).isEqualTo(RunStatus.COMPLETED);
            }
        }
        assertThat(most.get()).isEqualTo(1);
    }

    @Test
    void theHandlerRunsWithItsRunInTheMdc() {
        client.createJob(JobSpec.builder("mdc-job").queue("mdc-q").build());
        Map<String, String> seen = new ConcurrentHashMap<>();
        try (Worker worker = SdkTesting.worker(client, "mdc-q")
                .handler("mdc-job", (ctx, payload) -> {
                    seen.put("run", String.valueOf(MDC.get("drover.run_id")));
                    seen.put("job", String.valueOf(MDC.get("drover.job")));
                    seen.put("attempt", String.valueOf(MDC.get("drover.attempt")));
                    seen.put("expected", ctx.runId());
                    return null;
                }).build()) {
            worker.start();
            Run run = client.awaitRun(client.trigger("mdc-job", TriggerRequest.of(null)).id(), WAIT);
            assertThat(run.status()).isEqualTo(RunStatus.COMPLETED);
            assertThat(seen).containsEntry("run", run.id()).containsEntry("job", "mdc-job").containsEntry("attempt", "1");
        }
    }

    record Person(String firstName, int luckyNumber) {}

    record Greeting(String fullText) {}

    @Test
    void anOwnPayloadMapperMapsPayloadsAndResultsWhileTheApiStaysSnakeCase() {
        ObjectMapper camel = JsonMapper.builder().build(); // camelCase, unlike the API
        try (DroverClient own = DroverClient.builder().baseUrl(server.baseUrl()).apiKey(server.adminKey())
                .payloadMapper(camel).build()) {
            own.createJob(JobSpec.builder("camel").queue("camel-q").build());
            try (Worker worker = SdkTesting.worker(own, "camel-q")
                    .handler("camel", Person.class, (ctx, p) -> new Greeting("hi " + p.firstName() + " " + p.luckyNumber()))
                    .build()) {
                worker.start();
                Run run = own.trigger("camel", TriggerRequest.of(new Person("Ada", 7)));
                assertThat(run.payload().has("firstName")).isTrue();
                Greeting g = own.triggerAndAwait("camel", TriggerRequest.of(new Person("Bo", 3)), Greeting.class, WAIT);
                assertThat(g).isEqualTo(new Greeting("hi Bo 3"));
                Run done = own.awaitRun(run.id(), WAIT);
                assertThat(done.result().path("fullText").asText()).isEqualTo("hi Ada 7");
            }
        }
    }

    @Test
    void jobsDeclaredInCodeAreCreatedOnceAndUpdatedOnlyWhenTheyDiffer() {
        JobSpec spec = JobSpec.builder("declared").queue("decl-q").maxAttempts(4)
                .schedule(Schedule.cron("0 3 * * *")).build();
        Job first = client.applyJob(spec);
        assertThat(first.version()).isEqualTo(1);
        assertThat(first.schedule().cron()).isEqualTo("0 3 * * *");

        // Again, as at a second start-up: no 409, no new version.
        assertThat(client.applyJob(spec).version()).isEqualTo(1);
        assertThat(client.createJobIfAbsent(spec).version()).isEqualTo(1);

        Job changed = client.applyJob(JobSpec.builder("declared").queue("decl-q").maxAttempts(6)
                .schedule(Schedule.cron("0 3 * * *")).build());
        assertThat(changed.version()).isEqualTo(2);
        assertThat(changed.maxAttempts()).isEqualTo(6);
        // createJobIfAbsent leaves an existing job alone, whatever the spec says.
        assertThat(client.createJobIfAbsent(JobSpec.builder("declared").maxAttempts(1).build()).maxAttempts())
                .isEqualTo(6);
    }

    record Doubled(int n) {}

    @Test
    void workflowsAreDefinedTriggeredAndAwaitedFromCode() {
        client.createJob(JobSpec.builder("wf-double").queue("wf-q").build());
        Map<String, Object> definition = Map.of("slug", "sdk-flow", "steps", List.of(
                Map.of("id", "a", "type", "job", "job", "wf-double", "payload", Map.of("n", "{{input.n}}")),
                Map.of("id", "b", "type", "job", "job", "wf-double", "depends_on", List.of("a"),
                        "payload", Map.of("n", "{{steps.a.output.n}}"))));
        int version = client.workflows().define(definition).get("version").asInt();
        assertThat(client.workflows().define(definition).get("version").asInt()).isEqualTo(version);

        try (Worker worker = SdkTesting.worker(client, "wf-q")
                .handler("wf-double", Doubled.class, (ctx, d) -> new Doubled(d.n() * 2)).build()) {
            worker.start();
            WorkflowRun run = client.workflows().trigger("sdk-flow", Map.of("n", 5), null);
            WorkflowRun done = client.workflows().await(run.id(), WAIT);
            assertThat(done.status()).isEqualTo("completed");
            assertThat(done.output().path("b").path("n").asInt()).isEqualTo(20);
        }
        assertThatThrownBy(() -> client.workflows().await("01a24f45-125a-7152-8900-95fd954b2439", Duration.ofMillis(200)))
                .isInstanceOf(DroverException.class);
    }
}
