package io.drover.runs;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.testing.Api;
import io.drover.testing.DroverTest;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@DroverTest(shared = true)
class RunLifecycleTest {
    static Api api;

    @Test
    void triggerClaimComplete() {
        assertThat(api.post("/v1/jobs", Map.of("slug", "life", "queue", "life")).status()).isEqualTo(201);
        var run = api.post("/v1/jobs/life/trigger", Map.of("payload", Map.of("n", 1)));
        assertThat(run.status()).isEqualTo(201);
        assertThat(run.json().get("status").asText()).isEqualTo("queued");
        var claimed = api.post("/v1/worker/claim", Map.of("worker_id", "w1", "queues", List.of("life"), "max", 5));
        assertThat(claimed.status()).isEqualTo(200);
        assertThat(claimed.json().get("data")).hasSize(1);
        String id = claimed.json().get("data").get(0).get("id").asText();
        var done = api.post("/v1/runs/" + id + "/complete", Map.of("worker_id", "w1", "result", Map.of("ok", true)));
        assertThat(done.status()).isEqualTo(200);
        assertThat(done.json().get("status").asText()).isEqualTo("completed");
        assertThat(done.json().get("result").get("ok").asBoolean()).isTrue();
        var events = api.get("/v1/runs/" + id + "/events").json().get("data");
        assertThat(events).extracting(e -> e.get("type").asText()).containsExactly("created", "claimed", "completed");
        // completing twice is refused: the run is no longer held
        assertThat(api.post("/v1/runs/" + id + "/complete", Map.of("worker_id", "w1")).status()).isEqualTo(409);
    }
}
