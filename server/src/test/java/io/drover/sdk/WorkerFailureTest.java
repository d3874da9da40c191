package io.drover.sdk;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.client.DroverClient;
import io.drover.client.ErrorInfo;
import io.drover.client.JobSpec;
import io.drover.client.NonRetryableException;
import io.drover.client.RetryPolicy;
import io.drover.client.Run;
import io.drover.client.RunEvent;
import io.drover.client.RunStatus;
import io.drover.client.TriggerRequest;
import io.drover.client.Worker;
import io.drover.testing.Api;
import io.drover.testing.DroverTest;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

@DroverTest(shared = true)
class WorkerFailureTest {

    static DroverClient client;
    static Api api;
    Worker worker;

    @AfterEach
    void stopWorker() {
        if (worker != null) {
            worker.close();
        }
    }

    @Test
    void aHandlerExceptionIsRecordedWithItsStackTraceAndTheRunIsRetried() {
        client.createJob(JobSpec.builder("flaky").queue("flaky").maxAttempts(3).retry(RetryPolicy.fixed(50)).build());
        Map<Integer, ErrorInfo> errorSeenByAttempt = new ConcurrentHashMap<>();
        worker = SdkTesting.worker(client, "flaky").handler("flaky", (ctx, payload) -> {
            if (ctx.run().error() != null) {
                errorSeenByAttempt.put(ctx.attempt(), ctx.run().error());
            }
            if (ctx.attempt() == 1) {
                throw new IllegalStateException("boom on attempt " + ctx.attempt());
            }
            return "recovered";
        }).build();
        worker.start();

        Run run = client.trigger("flaky", TriggerRequest.of(Map.of("k", "v")));
        Run done = awaitRun(run.id(), RunStatus.COMPLETED);

        assertThat(done.attempt()).isEqualTo(2);
        assertThat(done.result().asText()).isEqualTo("recovered");
        ErrorInfo first = errorSeenByAttempt.get(2);
        assertThat(first).as("the error of attempt 1, as the retry received it").isNotNull();
        assertThat(first.type()).isEqualTo("java.lang.IllegalStateException");
        assertThat(first.message()).isEqualTo("boom on attempt 1");
        assertThat(first.stacktrace()).contains("java.lang.IllegalStateException: boom on attempt 1")
                .contains("WorkerFailureTest");
        assertThat(client.runEvents(run.id())).extracting(RunEvent::type)
                .containsSubsequence("claimed", "attempt_failed", "claimed", "completed");
    }

    @Test
    void attemptsUsedUpLeaveTheLastErrorOnTheDeadLetteredRun() {
        client.createJob(JobSpec.builder("doomed").queue("doomed").maxAttempts(2).retry(RetryPolicy.fixed(50)).build());
        worker = SdkTesting.worker(client, "doomed").handler("doomed", (ctx, payload) -> {
            throw new java.io.IOException("disk full on attempt " + ctx.attempt());
        }).build();
        worker.start();

        Run run = client.trigger("doomed", TriggerRequest.of(null));
        Run dead = awaitRun(run.id(), RunStatus.DEAD_LETTER);

        assertThat(dead.attempt()).isEqualTo(2);
        assertThat(dead.error().type()).isEqualTo("java.io.IOException");
        assertThat(dead.error().message()).isEqualTo("disk full on attempt 2");
        assertThat(dead.error().stacktrace()).startsWith("java.io.IOException: disk full on attempt 2")
                .contains("\tat ");
        assertThat(client.runEvents(run.id())).extracting(RunEvent::type)
                .containsSubsequence("attempt_failed", "dead_lettered");
    }

    @Test
    void aNonRetryableExceptionFailsTheRunForGood() {
        client.createJob(JobSpec.builder("strict").queue("strict").maxAttempts(3).build());
        List<Integer> attempts = new CopyOnWriteArrayList<>();
        worker = SdkTesting.worker(client, "strict").handler("strict", (ctx, payload) -> {
            attempts.add(ctx.attempt());
            throw new NonRetryableException("payload is missing 'to'");
        }).build();
        worker.start();

        Run run = client.trigger("strict", TriggerRequest.of(Map.of()));
        Run failed = awaitRun(run.id(), RunStatus.FAILED);

        assertThat(attempts).containsExactly(1);
        assertThat(failed.attempt()).isEqualTo(1);
        assertThat(failed.error().type()).isEqualTo(NonRetryableException.class.getName());
        assertThat(failed.error().message()).isEqualTo("payload is missing 'to'");
        assertThat(failed.error().stacktrace()).contains("WorkerFailureTest");
    }

    @Test
    void aJobWithoutAHandlerFailsWithUnknownJobWithoutRetry() {
        client.createJob(JobSpec.builder("orphan").queue("mixed").maxAttempts(3).build());
        worker = SdkTesting.worker(client, "mixed").handler("adopted", (ctx, payload) -> null).build();
        worker.start();

        Run run = client.trigger("orphan", TriggerRequest.of(null));
        Run failed = awaitRun(run.id(), RunStatus.FAILED);

        assertThat(failed.attempt()).isEqualTo(1);
        assertThat(failed.error().type()).isEqualTo("UnknownJob");
        assertThat(failed.error().message()).contains("orphan").contains(worker.workerId());
    }

    @Test
    void aTypedHandlerGetsItsPayloadMappedAndAMismatchFailsWithoutRetry() {
        client.createJob(JobSpec.builder("typed").queue("typed").maxAttempts(3).build());
        worker = SdkTesting.worker(client, "typed")
                .handler("typed", Email.class, (ctx, email) -> Map.of("sent_to", email.to()))
                .build();
        worker.start();

        Run good = client.trigger("typed", TriggerRequest.of(Map.of("to", "a@b.c", "subject", "hi")));
        Run bad = client.trigger("typed", TriggerRequest.of(List.of("not", "an", "object")));

        assertThat(awaitRun(good.id(), RunStatus.COMPLETED).result().path("sent_to").asText()).isEqualTo("a@b.c");
        Run failed = awaitRun(bad.id(), RunStatus.FAILED);
        assertThat(failed.attempt()).isEqualTo(1);
        assertThat(failed.error().type()).isEqualTo(NonRetryableException.class.getName());
    }

    record Email(String to, String subject) {
    }

    /** The run once it is {@code status}. */
    private static Run awaitRun(String runId, RunStatus status) {
        api.awaitStatus("/v1/runs/" + runId, status.wireName());
        return client.getRun(runId);
    }
}
