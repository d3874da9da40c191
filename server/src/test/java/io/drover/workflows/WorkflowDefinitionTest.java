package io.drover.workflows;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.testing.Api;
import io.drover.testing.DroverTest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Bad definitions are refused with a message that names the problem, and nothing is written. */
@DroverTest
class WorkflowDefinitionTest {
    static Api api;

    @BeforeAll
    static void start() {
        api.post("/v1/jobs", Map.of("slug", "work"));
    }

    private static Api.Answer create(String slug, List<?> steps) {
        return api.post("/v1/workflows", Map.of("slug", slug, "steps", steps));
    }

    private static void refused(Api.Answer a, int status, String code, String... inMessage) {
        assertThat(a.status()).as(a.text()).isEqualTo(status);
        assertThat(a.errorCode()).as(a.text()).isEqualTo(code);
        assertThat(a.json().get("error").get("message").asText()).contains(inMessage);
    }

    @Test
    void cycleIsNamedWithItsPath() {
        var a = create("cyc", List.of(
                Map.of("id", "a", "job", "work", "depends_on", List.of("c")),
                Map.of("id", "b", "job", "work", "depends_on", List.of("a")),
                Map.of("id", "c", "job", "work", "depends_on", List.of("b")),
                Map.of("id", "d", "job", "work")));
        refused(a, 422, "cycle", "cycle");
        assertThat(a.json().get("error").get("details").get("cycle")).hasSize(4);
        assertThat(a.json().get("error").get("message").asText()).contains("a").contains("b").contains("c")
                .doesNotContain("d");
        refused(create("self", List.of(Map.of("id", "a", "job", "work", "depends_on", List.of("a")))), 422, "cycle",
                "a -> a");
        assertThat(api.get("/v1/workflows/cyc").status()).isEqualTo(404);
    }

    @Test
    void unknownReferencesAreNamed() {
        refused(create("u1", List.of(Map.of("id", "a", "job", "work", "depends_on", List.of("ghost")))), 422,
                "unknown_step", "ghost");
        refused(create("u2", List.of(Map.of("id", "a", "job", "nojob"))), 422, "unknown_job", "nojob");
        refused(create("u3", List.of(Map.of("id", "a", "type", "sub_workflow", "workflow", "nowf"))), 422,
                "unknown_workflow", "nowf");
        refused(create("u4", List.of(Map.of("id", "a", "job", "work"), Map.of("id", "a", "job", "work"))), 422,
                "validation_failed", "duplicate step id 'a'");
    }

    @Test
    void badTemplatesAndConditionsAreNamed() {
        refused(create("t1", List.of(Map.of("id", "a", "job", "work", "payload", Map.of("x", "{{inptu.x}}")))), 422,
                "invalid_template", "inptu.x");
        refused(create("t2", List.of(Map.of("id", "a", "job", "work", "payload", Map.of("x", "{{input.x")))), 422,
                "invalid_template", "unclosed");
        refused(create("t3", List.of(Map.of("id", "a", "job", "work"), Map.of("id", "b", "job", "work",
                "payload", Map.of("x", "{{steps.a.output.y}}")))), 422, "invalid_template", "not upstream");
        refused(create("t4", List.of(Map.of("id", "a", "job", "work",
                "condition", Map.of("path", "input.x", "between", 1)))), 422, "invalid_condition", "operator");
        refused(create("t5", List.of(Map.of("id", "a", "job", "work", "payload", "{{steps.zz.output}}"))), 422,
                "invalid_template", "unknown step 'zz'");
    }

    @Test
    void policyLimitsAreEnforced() {
        List<Object> steps = new ArrayList<>();
        steps.add(Map.of("id", "root", "job", "work"));
        for (int i = 0; i < 5; i++) {
            steps.add(Map.of("id", "s" + i, "job", "work", "depends_on", List.of("root")));
        }
        var a = api.post("/v1/workflows", Map.of("slug", "p1", "steps", steps, "policy", Map.of("max_fan_out", 3)));
        refused(a, 422, "policy_violation", "step 'root' has 5 direct dependents", "max_fan_out is 3");
        List<Object> chain = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            chain.add(i == 0 ? Map.of("id", "c0", "job", "work")
                    : Map.of("id", "c" + i, "job", "work", "depends_on", List.of("c" + (i - 1))));
        }
        refused(api.post("/v1/workflows", Map.of("slug", "p2", "steps", chain, "policy", Map.of("max_depth", 3))), 422,
                "policy_violation", "depth 4", "max_depth is 3");
        List<Object> many = new ArrayList<>();
        for (int i = 0; i < 1001; i++) {
            many.add(Map.of("id", "m" + i, "type", "sleep", "duration_secs", 0));
        }
        refused(create("p3", many), 422, "policy_violation", "at most 1000 steps");
    }

    @Test
    void shapeErrorsAreClientErrors() {
        refused(create("s1", List.of(Map.of("id", "a", "type", "teleport"))), 422, "validation_failed", "steps[0].type");
        refused(create("s2", List.of(Map.of("id", "a", "type", "wait_for_event"))), 422, "validation_failed",
                "event_key");
        refused(create("s3", List.of(Map.of("id", "a", "job", "work", "retries", 3))), 422, "unknown_field",
                "steps[0].retries");
        assertThat(api.post("/v1/workflows", Map.of("slug", "s4", "steps", "nope")).status()).isEqualTo(400);
        assertThat(api.post("/v1/workflows", "{not json").status()).isEqualTo(400);
        assertThat(api.post("/v1/workflows/none/trigger", Map.of()).status()).isEqualTo(404);
        assertThat(api.get("/v1/workflow-runs/not-a-uuid").status()).isEqualTo(404);
    }

    @Test
    void everyChangeIsANewImmutableVersion() {
        assertThat(create("ver", List.of(Map.of("id", "a", "job", "work"))).status()).isEqualTo(201);
        assertThat(api.patch("/v1/workflows/ver", Map.of("description", "second")).json().get("version").asInt())
                .isEqualTo(2);
        // a bad change makes no version
        refused(api.patch("/v1/workflows/ver", Map.of("steps", List.of(Map.of("id", "a", "job", "work",
                "depends_on", List.of("a"))))), 422, "cycle", "a -> a");
        var versions = api.get("/v1/workflows/ver/versions").json().get("data");
        assertThat(versions).hasSize(2);
        assertThat(versions.get(1).has("description") && versions.get(1).get("description").isNull()).isTrue();
        assertThat(create("ver", List.of(Map.of("id", "a", "job", "work"))).status()).isEqualTo(409);
    }
}
