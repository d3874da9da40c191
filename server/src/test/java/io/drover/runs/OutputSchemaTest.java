package io.drover.runs;

import static io.drover.runs.RunFixture.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.testing.Api;
import io.drover.testing.DroverTest;
import io.drover.testing.TestServer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Jobs' output_schema: checked when the job is saved, and every completion's result checked against it. */
@DroverTest(env = "DROVER_PUSH_ENABLED=false")
class OutputSchemaTest {
    static final Map<String, Object> SCHEMA = Map.of("type", "object", "required", List.of("answer"),
            "properties", Map.of("answer", Map.of("type", "string"),
                    "score", Map.of("type", "number", "minimum", 0)));
    static TestServer server;
    static RunFixture q;

    @BeforeAll
    static void start() {
        q = new RunFixture(server);
    }

    @Test
    void aSchemaThatIsNotJsonSchemaIsRefusedWithThePath() {
        Api.Answer a = q.post("/v1/jobs", Map.of("slug", "schema-bad", "output_schema",
                Map.of("type", "object", "properties", Map.of("answer", Map.of("type", "nonsense")))));
        assertError(a, 422, "validation_failed");
        assertThat(a.json().at("/error/details/field").asText()).isEqualTo("output_schema");
        assertThat(a.json().at("/error/message").asText()).contains("$.properties.answer.type");
        assertError(q.post("/v1/jobs", Map.of("slug", "schema-bad", "output_schema", "a string")), 422,
                "validation_failed");
        assertError(q.post("/v1/jobs", Map.of("slug", "schema-bad", "output_schema",
                Map.of("$schema", "https://example.com/my-draft"))), 422, "validation_failed");
        // nothing is fetched: a $ref to another server cannot be resolved
        assertError(q.post("/v1/jobs", Map.of("slug", "schema-bad", "output_schema",
                Map.of("$ref", "http://127.0.0.1:9/schema.json"))), 422, "validation_failed");
        assertThat(q.api.get("/v1/jobs/schema-bad").status()).isEqualTo(404);
    }

    @Test
    void aResultThatDoesNotMatchIsRefusedNamingThePathAndTheRunIsUnchanged() {
        JsonNode job = q.job("schema-one", Map.of("output_schema", SCHEMA));
        assertThat(job.at("/output_schema/required/0").asText()).as(job.toString()).isEqualTo("answer");
        String id = q.triggerId("schema-one");
        q.claimOnly("w", "schema-one", id, 60_000);
        String path = "/v1/runs/" + id + "/complete";

        Api.Answer wrongType = q.post(path, Map.of("worker_id", "w", "result", Map.of("answer", 42)));
        assertError(wrongType, 422, "output_invalid");
        assertThat(wrongType.json().at("/error/details/path").asText()).isEqualTo("$.answer");
        assertThat(wrongType.json().at("/error/message").asText()).contains("$.answer");

        Api.Answer missing = q.post(path, Map.of("worker_id", "w", "result", Map.of("score", 1)));
        assertError(missing, 422, "output_invalid");
        assertThat(missing.json().at("/error/details/path").asText()).isEqualTo("$.answer");

        Api.Answer negative = q.post(path, Map.of("worker_id", "w", "result", Map.of("answer", "a", "score", -1)));
        assertThat(negative.json().at("/error/details/path").asText()).isEqualTo("$.score");
        assertError(q.post(path, Map.of("worker_id", "w")), 422, "output_invalid"); // no result at all

        JsonNode run = q.run(id);
        assertThat(run.get("status").asText()).isEqualTo("executing");
        assertThat(run.get("result").isNull()).isTrue();
        assertThat(q.chain(id)).containsExactly("_->queued", "queued->executing");

        Api.Answer ok = q.post(path, Map.of("worker_id", "w", "result", Map.of("answer", "yes", "score", 0.5)));
        assertThat(ok.status()).as(ok.text()).isEqualTo(200);
        assertThat(q.run(id).at("/result/answer").asText()).isEqualTo("yes");
    }

    @Test
    void aBatchedCompletionRefusesOnlyTheRunWhoseResultDoesNotMatch() {
        q.job("schema-batch", Map.of("output_schema", SCHEMA));
        q.job("schema-none", Map.of("queue", "schema-batch"));
        String good = q.triggerId("schema-batch");
        String bad = q.triggerId("schema-batch");
        String free = q.triggerId("schema-none");
        List<JsonNode> claimed = q.claim("w", "schema-batch", 10, 60_000, 1_000);
        assertThat(claimed).hasSize(3);
        Api.Answer a = q.post("/v1/worker/complete", Map.of("worker_id", "w", "results", List.of(
                Map.of("run_id", good, "result", Map.of("answer", "fine")),
                Map.of("run_id", bad, "result", Map.of("answer", List.of("not", "a", "string"))),
                Map.of("run_id", free, "result", Map.of("anything", true)))));
        assertThat(a.status()).as(a.text()).isEqualTo(200);
        JsonNode data = a.json().get("data");
        assertThat(data.get(0).get("ok").asBoolean()).isTrue();
        assertThat(data.get(1).get("ok").asBoolean()).isFalse();
        assertThat(data.get(1).at("/error/code").asText()).isEqualTo("output_invalid");
        assertThat(data.get(1).at("/error/message").asText()).contains("$.answer");
        assertThat(data.get(2).get("ok").asBoolean()).isTrue();
        assertThat(q.status(good)).isEqualTo("completed");
        assertThat(q.status(free)).isEqualTo("completed");
        assertThat(q.status(bad)).isEqualTo("executing");
        assertThat(q.post("/v1/runs/" + bad + "/complete", Map.of("worker_id", "w", "result",
                Map.of("answer", "fixed"))).status()).isEqualTo(200);
    }

    @Test
    void aRunKeepsTheSchemaOfItsJobVersion() {
        q.job("schema-versions", Map.of("output_schema", SCHEMA));
        String old = q.triggerId("schema-versions");
        Api.Answer patched = q.api.patch("/v1/jobs/schema-versions", java.util.Collections.singletonMap(
                "output_schema", null));
        assertThat(patched.status()).as(patched.text()).isEqualTo(200);
        assertThat(patched.json().get("output_schema").isNull()).isTrue();
        String fresh = q.triggerId("schema-versions");
        q.claim("w", "schema-versions", 10, 60_000, 1_000);
        assertError(q.post("/v1/runs/" + old + "/complete", Map.of("worker_id", "w", "result", 1)), 422,
                "output_invalid");
        assertThat(q.post("/v1/runs/" + fresh + "/complete", Map.of("worker_id", "w", "result", 1)).status())
                .isEqualTo(200);
    }
}
