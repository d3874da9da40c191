package io.drover.workflows;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.http.Json;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Templates and conditions as pure functions, without a server. */
class TemplateConditionTest {
    private static final Template.Context CTX = new Template.Context(
            Json.read("{\"n\": 3, \"name\": \"ada\", \"tags\": [\"a\", \"b\"]}"),
            Map.of("a", new Template.StepState("completed", Json.read("{\"items\": [10, 20], \"ok\": true}")),
                    "b", new Template.StepState("failed", null)),
            "run-1");

    @Test
    void wholeTemplatesKeepTheirTypeAndInlineOnesBecomeText() {
        JsonNode out = Template.render(Json.read("""
                {"n": "{{input.n}}", "second": "{{steps.a.output.items.1}}", "ok": "{{ steps.a.output.ok }}",
                 "greeting": "hi {{input.name}} #{{input.n}}", "tags": "{{input.tags}}", "missing": "{{input.nope}}",
                 "status": "{{steps.b.status}}", "id": "{{workflow_run_id}}", "plain": 7}"""), CTX);
        assertThat(out.get("n").isInt()).isTrue();
        assertThat(out.get("second").asInt()).isEqualTo(20);
        assertThat(out.get("ok").asBoolean()).isTrue();
        assertThat(out.get("greeting").asText()).isEqualTo("hi ada #3");
        assertThat(out.get("tags").isArray()).isTrue();
        assertThat(out.get("missing").isNull()).isTrue();
        assertThat(out.get("status").asText()).isEqualTo("failed");
        assertThat(out.get("id").asText()).isEqualTo("run-1");
        assertThat(out.get("plain").asInt()).isEqualTo(7);
    }

    @Test
    void badTemplatesAreRefusedWithTheReason() {
        assertThatThrownBy(() -> Template.pathsIn("{{steps.a.result}}")).hasMessageContaining("steps.a.result");
        assertThatThrownBy(() -> Template.pathsIn("x {{input.a")).hasMessageContaining("unclosed");
        assertThat(Template.pathsIn("{{input}} and {{steps.x-1.output.y_2}}")).containsExactly("input",
                "steps.x-1.output.y_2");
    }

    @Test
    void conditionsCombineAndCompare() {
        assertThat(cond("{\"path\": \"input.n\", \"gt\": 2}")).isTrue();
        assertThat(cond("{\"path\": \"input.n\", \"equals\": 3.0}")).isTrue();
        assertThat(cond("{\"path\": \"input.name\", \"in\": [\"bob\", \"ada\"]}")).isTrue();
        assertThat(cond("{\"path\": \"input.nope\", \"exists\": false}")).isTrue();
        assertThat(cond("{\"path\": \"input.name\", \"lt\": 5}")).isFalse();
        assertThat(cond("{\"all\": [{\"path\": \"steps.a.status\", \"equals\": \"completed\"},"
                + " {\"not\": {\"path\": \"steps.b.status\", \"equals\": \"completed\"}}]}")).isTrue();
        assertThat(cond("{\"any\": [{\"path\": \"input.n\", \"lte\": 1}, {\"path\": \"input.n\", \"gte\": 9}]}"))
                .isFalse();
        assertThatThrownBy(() -> Condition.parse(Json.read("{\"path\": \"input.n\", \"gt\": \"x\"}"), "c"))
                .hasMessageContaining("c.gt must be a number");
        assertThatThrownBy(() -> Condition.parse(Json.read("{\"all\": []}"), "c")).hasMessageContaining("non-empty");
    }

    private static boolean cond(String json) {
        return Condition.parse(Json.read(json), "condition").test(CTX);
    }
}
