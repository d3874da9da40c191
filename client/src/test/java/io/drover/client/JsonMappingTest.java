package io.drover.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonMappingTest {

    private final ObjectMapper mapper = DroverJson.newMapper();
    private final HttpApi api = new HttpApi(null, null, mapper, "http://unused", null, Duration.ofSeconds(1));

    @Test
    void readsEveryRunField() throws Exception {
        String json = """
            {"id": "0190a1b2-0000-7000-8000-000000000001", "job_id": "j1", "job_slug": "send-email",
             "job_version": 3, "status": "dead_letter", "attempt": 3, "max_attempts": 3, "priority": 5,
             "payload": {"to": "a@b.c"}, "metadata": {"tenant": "t1"}, "result": null,
             "error": {"type": "java.io.IOException", "message": "boom", "stacktrace": "at X"},
             "idempotency_key": "k1", "concurrency_key": "c1", "worker_id": "w1",
             "scheduled_at": "2025-01-02T03:04:05Z", "next_retry_at": null,
             "lease_expires_at": "2025-01-02T03:04:35.123456Z", "created_at": "2025-01-02T03:04:05+00:00",
             "started_at": "2025-01-02T04:04:05+01:00", "finished_at": null, "some_future_field": [1, 2]}
            """;
        Run run = mapper.readValue(json, Run.class);

        assertThat(run.id()).isEqualTo("0190a1b2-0000-7000-8000-000000000001");
        assertThat(run.jobSlug()).isEqualTo("send-email");
        assertThat(run.jobVersion()).isEqualTo(3);
        assertThat(run.status()).isEqualTo(RunStatus.DEAD_LETTER);
        assertThat(run.attempt()).isEqualTo(3);
        assertThat(run.maxAttempts()).isEqualTo(3);
        assertThat(run.priority()).isEqualTo(5);
        assertThat(run.payload().path("to").asText()).isEqualTo("a@b.c");
        assertThat(run.metadata().path("tenant").asText()).isEqualTo("t1");
        assertThat(run.error()).isEqualTo(new ErrorInfo("java.io.IOException", "boom", "at X"));
        assertThat(run.idempotencyKey()).isEqualTo("k1");
        assertThat(run.concurrencyKey()).isEqualTo("c1");
        assertThat(run.workerId()).isEqualTo("w1");
        assertThat(run.scheduledAt()).isEqualTo(Instant.parse("2025-01-02T03:04:05Z"));
        assertThat(run.leaseExpiresAt()).isEqualTo(Instant.parse("2025-01-02T03:04:35.123456Z"));
        assertThat(run.createdAt()).isEqualTo(Instant.parse("2025-01-02T03:04:05Z"));
        assertThat(run.startedAt()).isEqualTo(Instant.parse("2025-01-02T03:04:05Z"));
        assertThat(run.nextRetryAt()).isNull();
        assertThat(run.finishedAt()).isNull();
    }

    @Test
    void unknownStatusReadsAsUnknownInsteadOfFailing() throws Exception {
        Run run = mapper.readValue("{\"id\": \"r\", \"status\": \"hibernating\"}", Run.class);

        assertThat(run.status()).isEqualTo(RunStatus.UNKNOWN);
    }

    @Test
    void writesStatusesInLowercase() throws Exception {
        assertThat(mapper.writeValueAsString(RunStatus.TIMED_OUT)).isEqualTo("\"timed_out\"");
        assertThat(mapper.readValue("\"system_failed\"", RunStatus.class)).isEqualTo(RunStatus.SYSTEM_FAILED);
    }

    @Test
    void readsAJobWithRetryAndSchedule() throws Exception {
        String json = """
            {"id": "j1", "slug": "nightly", "execution": "worker", "queue": "default", "max_attempts": 5,
             "retry": {"strategy": "custom", "delays_ms": [100, 200], "jitter": false},
             "schedule": {"cron": "0 3 * * *", "timezone": "Europe/Paris", "overlap_policy": "skip"},
             "tags": ["a", "b"], "default_metadata": {"team": "data"}, "version": 2,
             "created_at": "2025-01-02T03:04:05Z", "updated_at": "2025-01-03T03:04:05Z"}
            """;
        Job job = mapper.readValue(json, Job.class);

        assertThat(job.slug()).isEqualTo("nightly");
        assertThat(job.maxAttempts()).isEqualTo(5);
        assertThat(job.retry().delaysMs()).containsExactly(100L, 200L);
        assertThat(job.schedule().overlapPolicy()).isEqualTo("skip");
        assertThat(job.tags()).containsExactly("a", "b");
        assertThat(job.defaultMetadata().path("team").asText()).isEqualTo("data");
        assertThat(job.version()).isEqualTo(2);
        assertThat(job.updatedAt()).isEqualTo(Instant.parse("2025-01-03T03:04:05Z"));
    }

    @Test
    void readsPagesAndEventLists() throws Exception {
        JsonNode page = mapper.readTree("""
            {"data": [{"id": "r1", "status": "queued"}, {"id": "r2", "status": "executing"}], "next_cursor": "abc"}
            """);
        JsonNode events = mapper.readTree("""
            {"data": [{"id": "e1", "run_id": "r1", "type": "created", "from_status": null, "to_status": "queued",
                       "attempt": 0, "data": {"x": 1}, "created_at": "2025-01-02T03:04:05Z"}]}
            """);

        Page<Run> runs = api.readPage(page, Run.class);
        List<RunEvent> list = api.readList(events.path("data"), RunEvent.class);

        assertThat(runs.data()).extracting(Run::id).containsExactly("r1", "r2");
        assertThat(runs.nextCursor()).isEqualTo("abc");
        assertThat(runs.hasMore()).isTrue();
        assertThat(list).singleElement().satisfies(e -> {
            assertThat(e.fromStatus()).isNull();
            assertThat(e.toStatus()).isEqualTo(RunStatus.QUEUED);
            assertThat(e.data().path("x").asInt()).isEqualTo(1);
        });
    }

    @Test
    void lastPageHasNoCursor() throws Exception {
        Page<Job> page = api.readPage(mapper.readTree("{\"data\": [], \"next_cursor\": null}"), Job.class);

        assertThat(page.data()).isEmpty();
        assertThat(page.hasMore()).isFalse();
    }

    @Test
    void writesTriggerRequestsInSnakeCaseWithoutNulls() throws Exception {
        TriggerRequest request = TriggerRequest.of(Map.of("to", "a@b.c"))
                .withIdempotencyKey("order-42")
                .withDelay(Duration.ofSeconds(2))
                .withScheduledAt(Instant.parse("2025-01-02T03:04:05Z"));

        JsonNode json = mapper.valueToTree(request);

        assertThat(json.path("payload").path("to").asText()).isEqualTo("a@b.c");
        assertThat(json.path("idempotency_key").asText()).isEqualTo("order-42");
        assertThat(json.path("delay_ms").asLong()).isEqualTo(2000);
        assertThat(json.path("scheduled_at").asText()).isEqualTo("2025-01-02T03:04:05Z");
        assertThat(json.has("metadata")).isFalse();
        assertThat(json.has("priority")).isFalse();
    }

    @Test
    void writesOutcomesAsTheBatchCompletionEndpointExpects() {
        JsonNode success = mapper.valueToTree(Outcome.success("r1", mapper.valueToTree(Map.of("sent", true))));
        JsonNode empty = mapper.valueToTree(Outcome.success("r2", null));
        JsonNode failure = mapper.valueToTree(Outcome.failure("r3", new ErrorInfo("Boom", "bad", "at X"), false));

        assertThat(success.toString()).isEqualTo("{\"run_id\":\"r1\",\"result\":{\"sent\":true}}");
        assertThat(empty.toString()).isEqualTo("{\"run_id\":\"r2\",\"result\":null}");
        assertThat(failure.toString()).isEqualTo(
                "{\"run_id\":\"r3\",\"error\":{\"type\":\"Boom\",\"message\":\"bad\",\"stacktrace\":\"at X\"},"
                        + "\"retryable\":false}");
    }

    @Test
    void writesClaimRequests() {
        JsonNode json = mapper.valueToTree(new ClaimRequest("w1", List.of("default"), 7, 10_000, 30_000));

        assertThat(json.toString()).isEqualTo(
                "{\"worker_id\":\"w1\",\"queues\":[\"default\"],\"max\":7,\"wait_ms\":10000,\"lease_ms\":30000}");
    }

    @Test
    void writesJobSpecsWithOnlyTheFieldsSet() {
        JobSpec spec = JobSpec.builder("send-email").queue("emails").maxAttempts(5)
                .retry(RetryPolicy.exponential(1000, 60_000)).build();

        JsonNode json = mapper.valueToTree(spec);

        assertThat(json.toString()).isEqualTo("{\"slug\":\"send-email\",\"queue\":\"emails\",\"max_attempts\":5,"
                + "\"retry\":{\"strategy\":\"exponential\",\"initial_delay_ms\":1000,\"max_delay_ms\":60000,"
                + "\"jitter\":true}}");
    }

    @Test
    void readsBatchAnswers() throws Exception {
        JsonNode beats = mapper.readTree("""
            {"data": [{"run_id": "r1", "ok": true, "lease_expires_at": "2025-01-02T03:04:05Z", "status": "executing"},
                      {"run_id": "r2", "ok": false, "status": "canceled"}]}
            """);
        JsonNode completes = mapper.readTree("""
            {"data": [{"run_id": "r1", "ok": false, "status": "canceled",
                       "error": {"code": "conflict", "message": "not yours"}}]}
            """);

        assertThat(api.readList(beats.path("data"), HeartbeatResult.class)).containsExactly(
                new HeartbeatResult("r1", true, Instant.parse("2025-01-02T03:04:05Z"), RunStatus.EXECUTING),
                new HeartbeatResult("r2", false, null, RunStatus.CANCELED));
        assertThat(api.readList(completes.path("data"), OutcomeResult.class)).containsExactly(
                new OutcomeResult("r1", false, RunStatus.CANCELED, new ApiError("conflict", "not yours")));
    }
}
