package io.drover.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.http.Json;
import io.drover.runs.RunStore;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The streamed answer of a batched completion is byte for byte what the tree it replaced wrote. */
class ReportedJsonTest {

    @Test
    void streamedAnswerEqualsTheTreeAnswer() {
        List<RunStore.Reported> reported = List.of(
                new RunStore.Reported(UUID.randomUUID(), true, "completed", null),
                new RunStore.Reported(UUID.randomUUID(), false, null,
                        new io.drover.errors.Conflict("not_held", "run is \"completed\" \u00e9; no longer held", Map.of())),
                new RunStore.Reported(UUID.randomUUID(), true, "delayed", null));
        ObjectNode tree = Json.object();
        var arr = tree.putArray("data");
        for (RunStore.Reported r : reported) {
            ObjectNode n = Json.object().put("run_id", r.runId().toString()).put("ok", r.ok()).put("status", r.status());
            if (r.error() != null) {
                n.putObject("error").put("code", r.error().code()).put("message", r.error().getMessage());
            } else {
                n.putNull("error");
            }
            arr.add(n);
        }
        assertThat(new String(WorkerRoutes.reportedJson(reported), StandardCharsets.UTF_8))
                .isEqualTo(new String(Json.bytes(tree), StandardCharsets.UTF_8));
        assertThat(new String(WorkerRoutes.reportedJson(List.of()), StandardCharsets.UTF_8)).isEqualTo("{\"data\":[]}");
    }
}
