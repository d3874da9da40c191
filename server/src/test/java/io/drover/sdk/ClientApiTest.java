package io.drover.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.client.ClaimRequest;
import io.drover.client.DroverApiException;
import io.drover.client.DroverClient;
import io.drover.client.DroverTransportException;
import io.drover.client.ErrorInfo;
import io.drover.client.HeartbeatResult;
import io.drover.client.Job;
import io.drover.client.JobSpec;
import io.drover.client.Outcome;
import io.drover.client.OutcomeResult;
import io.drover.client.Page;
import io.drover.client.RetryPolicy;
import io.drover.client.Run;
import io.drover.client.RunStatus;
import io.drover.client.TriggerRequest;
import io.drover.testing.DroverTest;
import io.drover.testing.TestServer;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The typed client against a real server: every call's JSON must map both ways. */
@DroverTest
class ClientApiTest {

    static TestServer server;
    static DroverClient client;

    @Test
    void jobsRoundTrip() {
        Job created = client.createJob(JobSpec.builder("mailer").name("Mailer").queue("mail").maxAttempts(5)
                .retry(RetryPolicy.exponential(500, 10_000)).priority(7).tags(List.of("email"))
                .defaultMetadata(Map.of("team", "growth")).build());

        assertThat(created.id()).isNotBlank();
        assertThat(created.slug()).isEqualTo("mailer");
        assertThat(created.queue()).isEqualTo("mail");
        assertThat(created.maxAttempts()).isEqualTo(5);
        assertThat(created.retry().strategy()).isEqualTo("exponential");
        assertThat(created.retry().initialDelayMs()).isEqualTo(500L);
        assertThat(created.priority()).isEqualTo(7);
        assertThat(created.tags()).containsExactly("email");
        assertThat(created.defaultMetadata().path("team").asText()).isEqualTo("growth");
        assertThat(created.version()).isEqualTo(1);
        assertThat(created.createdAt()).isNotNull();

        assertThat(client.getJob("mailer").id()).isEqualTo(created.id());
        assertThat(client.getJob(created.id()).slug()).isEqualTo("mailer");
        Job updated = client.updateJob("mailer", Map.of("max_attempts", 2));
        assertThat(updated.maxAttempts()).isEqualTo(2);
        assertThat(updated.version()).isEqualTo(2);

        client.deleteJob("mailer");
        assertThatThrownBy(() -> client.getJob("mailer")).isInstanceOfSatisfying(DroverApiException.class,
                e -> assertThat(e.httpStatus()).isEqualTo(404));
    }

    @Test
    void listsPageWithCursors() {
        for (String slug : List.of("page-a", "page-b", "page-c")) {
            client.createJob(JobSpec.builder(slug).build());
        }

        Page<Job> first = client.listJobs(null, 2);
        Page<Job> second = client.listJobs(first.nextCursor(), 2);

        assertThat(first.data()).hasSize(2);
        assertThat(first.hasMore()).isTrue();
        assertThat(second.data()).extracting(Job::slug).doesNotContainAnyElementsOf(
                first.data().stream().map(Job::slug).toList());
    }

    @Test
    void triggersAreIdempotentByKey() {
        client.createJob(JobSpec.builder("once").queue("once").build());

        Run first = client.trigger("once", TriggerRequest.of(Map.of("n", 1)).withIdempotencyKey("k-1")
                .withMetadata(Map.of("source", "test")).withPriority(3));
        Run again = client.trigger("once", TriggerRequest.of(Map.of("n", 2)).withIdempotencyKey("k-1"));

        assertThat(again.id()).isEqualTo(first.id());
        assertThat(first.status()).isEqualTo(RunStatus.QUEUED);
        assertThat(first.payload().path("n").asInt()).isEqualTo(1);
        assertThat(first.metadata().path("source").asText()).isEqualTo("test");
        assertThat(first.priority()).isEqualTo(3);
        assertThat(first.idempotencyKey()).isEqualTo("k-1");
        assertThat(first.jobSlug()).isEqualTo("once");
    }

    @Test
    void delayedTriggersWaitUntilTheirTime() {
        client.createJob(JobSpec.builder("later").queue("later").build());

        Run run = client.trigger("later", TriggerRequest.of(null).withDelay(Duration.ofHours(1)));

        assertThat(run.status()).isEqualTo(RunStatus.DELAYED);
        assertThat(run.scheduledAt()).isAfter(Instant.now().plus(Duration.ofMinutes(59)));
        assertThat(client.cancelRun(run.id()).status()).isEqualTo(RunStatus.CANCELED);
        assertThatThrownBy(() -> client.cancelRun(run.id())).isInstanceOfSatisfying(DroverApiException.class,
                e -> assertThat(e.httpStatus()).isEqualTo(409));
    }

    @Test
    void errorsCarryStatusCodeAndDetails() {
        assertThatThrownBy(() -> client.createJob(Map.of("slug", "Not A Slug")))
                .isInstanceOfSatisfying(DroverApiException.class, e -> {
                    assertThat(e.httpStatus()).isEqualTo(422);
                    assertThat(e.code()).isNotBlank();
                    assertThat(e.details().path("field").asText()).isEqualTo("slug");
                });
        assertThatThrownBy(() -> client.getRun("0190a1b2-0000-7000-8000-000000000001"))
                .isInstanceOfSatisfying(DroverApiException.class, e -> assertThat(e.httpStatus()).isEqualTo(404));
        DroverClient anonymous = DroverClient.builder().baseUrl(server.baseUrl()).build();
        assertThatThrownBy(() -> anonymous.listJobs(null, null))
                .isInstanceOfSatisfying(DroverApiException.class, e -> assertThat(e.httpStatus()).isEqualTo(401));
    }

    @Test
    void noAnswerIsATransportException() {
        DroverClient nowhere = DroverClient.builder().baseUrl("http://127.0.0.1:1").build();

        assertThatThrownBy(() -> nowhere.getRun("x")).isInstanceOf(DroverTransportException.class);
    }

    @Test
    void triggerBatchIdsAnswersTheIdsInOrder() {
        client.createJob(JobSpec.builder("ids").queue("ids").build());
        List<String> ids = client.triggerBatchIds("ids", List.of(TriggerRequest.of(Map.of("n", 1)),
                TriggerRequest.of(Map.of("n", 2)), TriggerRequest.of(Map.of("n", 3))));

        assertThat(ids).hasSize(3).doesNotHaveDuplicates();
        for (int i = 0; i < 3; i++) {
            Run run = client.getRun(ids.get(i));
            assertThat(run.status()).isEqualTo(RunStatus.QUEUED);
            assertThat(run.payload().get("n").asInt()).isEqualTo(i + 1);
        }
    }

    @Test
    void sendReachesAnyEndpoint() {
        client.createJob(JobSpec.builder("raw").queue("raw").build());
        client.trigger("raw", TriggerRequest.of(null));

        JsonNode page = client.send("GET", "/v1/runs?job=raw&limit=1", null);

        assertThat(page.path("data")).hasSize(1);
        assertThat(page.has("next_cursor")).isTrue();
    }

    @Test
    void theWorkerProtocolByHand() {
        client.createJob(JobSpec.builder("manual").queue("manual").maxAttempts(3).retry(RetryPolicy.fixed(60_000)).build());
        List<Run> triggered = client.triggerBatch("manual", List.of(TriggerRequest.of(1), TriggerRequest.of(2),
                TriggerRequest.of(3), TriggerRequest.of(4)));

        List<Run> claimed = client.claim(new ClaimRequest("hand", List.of("manual"), 10, 0, 30_000));
        assertThat(claimed).hasSize(4).allSatisfy(run -> {
            assertThat(run.status()).isEqualTo(RunStatus.EXECUTING);
            assertThat(run.workerId()).isEqualTo("hand");
            assertThat(run.attempt()).isEqualTo(1);
            assertThat(run.leaseExpiresAt()).isAfter(Instant.now());
        });
        String a = triggered.get(0).id();
        String b = triggered.get(1).id();
        String c = triggered.get(2).id();
        String d = triggered.get(3).id();

        assertThat(client.heartbeat(a, "hand", 60_000)).isAfter(Instant.now().plusSeconds(50));
        assertThat(client.heartbeatBatch("hand", List.of(a, b), 60_000)).extracting(HeartbeatResult::ok)
                .containsExactly(true, true);
        assertThat(client.heartbeatBatch("someone-else", List.of(a), 60_000)).extracting(HeartbeatResult::ok)
                .containsExactly(false);

        assertThat(client.complete(a, "hand", Map.of("ok", true)).status()).isEqualTo(RunStatus.COMPLETED);
        Run failed = client.fail(b, "hand", new ErrorInfo("Boom", "bad", "trace"), true);
        assertThat(failed.status()).isEqualTo(RunStatus.DELAYED);
        assertThat(failed.error()).isEqualTo(new ErrorInfo("Boom", "bad", "trace"));
        Run released = client.release(c, "hand");
        assertThat(released.status()).isEqualTo(RunStatus.QUEUED);
        assertThat(released.attempt()).isZero();

        List<OutcomeResult> results = client.completeBatch("hand", List.of(
                Outcome.success(d, null), Outcome.success(a, null)));
        assertThat(results).extracting(OutcomeResult::runId).containsExactly(d, a);
        assertThat(results).extracting(OutcomeResult::ok).containsExactly(true, false);
        assertThat(results.get(1).error()).isNotNull();
        assertThat(client.getRun(d).status()).isEqualTo(RunStatus.COMPLETED);
    }
}
