package io.drover.adapters;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.agent.DroverAgent;
import io.drover.testing.Api;
import io.drover.testing.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/** What the adapter tests share: an agent registered in Drover, and reads of what it reported. */
final class Agents {
    private Agents() {}

    /** An agent registered through the API: its id and its token. */
    record Registered(String id, String token) {}

    static Registered register(Api api, String name) {
        Api.Answer made = api.post("/v1/agents", Map.of("name", name));
        assertThat(made.status()).as(made.text()).isEqualTo(201);
        return new Registered(made.json().get("id").asText(), made.json().get("token").asText());
    }

    /** A builder that sends quickly, as a test wants (the defaults batch for 200 ms and poll for 25 s). */
    static DroverAgent.Builder builder(String baseUrl, Registered a) {
        return DroverAgent.builder(baseUrl, a.token()).flushMs(10).commandWaitMs(1_000).backoff(20, 200)
                .heartbeatMs(200);
    }

    /** Every task of {@code engine} in Drover (all pages). */
    static List<JsonNode> tasks(Api api, String engine) {
        List<JsonNode> out = new ArrayList<>();
        String cursor = null;
        do {
            JsonNode page = api.get("/v1/tasks?engine=" + engine + "&limit=200"
                    + (cursor == null ? "" : "&cursor=" + cursor)).json();
            page.path("data").forEach(out::add);
            cursor = page.path("next_cursor").isTextual() ? page.get("next_cursor").asText() : null;
        } while (cursor != null);
        return out;
    }

    static List<JsonNode> awaitTasks(Api api, String engine, String what, Predicate<List<JsonNode>> done) {
        return Await.value(what, Duration.ofSeconds(30), () -> tasks(api, engine), done);
    }

    static long count(List<JsonNode> tasks, String name, String state) {
        return tasks.stream().filter(t -> t.path("name").asText().equals(name) && t.path("state").asText().equals(state))
                .count();
    }

    static JsonNode awaitCommand(Api api, String commandId, String status) {
        return Await.value("command " + commandId + " " + status, Duration.ofSeconds(30),
                () -> api.get("/v1/commands/" + commandId).json(), c -> c.path("status").asText().equals(status));
    }

    static List<JsonNode> schedules(Api api, String agentId) {
        List<JsonNode> out = new ArrayList<>();
        api.get("/v1/agents/" + agentId + "/schedules").json().path("data").forEach(out::add);
        return out;
    }
}
