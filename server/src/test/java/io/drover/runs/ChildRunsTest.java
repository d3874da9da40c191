package io.drover.runs;

import static io.drover.runs.RunFixture.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.testing.Api;
import io.drover.testing.DroverTest;
import io.drover.testing.TestServer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Child runs (issue 18 item 1): parent_run_id on trigger, in run JSON, in the created event, and ?parent= lists. */
@DroverTest(env = "DROVER_PUSH_ENABLED=false")
class ChildRunsTest {
    static TestServer server;
    static RunFixture q;

    @BeforeAll
    static void start() {
        q = new RunFixture(server);
        q.job("cr-parent", Map.of());
        q.job("cr-child", Map.of());
        q.job("cr-listed", Map.of());
    }

    @Test
    void aChildNamesItsParentInItsJsonAndItsCreatedEvent() {
        String parent = q.triggerId("cr-parent");
        JsonNode child = q.trigger("cr-child", Map.of("parent_run_id", parent, "payload", Map.of("n", 1)));
        assertThat(child.get("parent_run_id").asText()).isEqualTo(parent);
        assertThat(child.get("continuation_of").isNull()).isTrue();
        assertThat(child.get("lineage_depth").asInt()).isZero();
        assertThat(q.run(child.get("id").asText()).get("parent_run_id").asText()).isEqualTo(parent);
        JsonNode created = q.events(child.get("id").asText()).get(0);
        assertThat(created.get("type").asText()).isEqualTo("created");
        assertThat(created.get("data").get("parent_run_id").asText()).isEqualTo(parent);
        // A run without a parent says so, and its created event carries no lineage.
        assertThat(q.run(parent).get("parent_run_id").isNull()).isTrue();
        assertThat(q.events(parent).get(0).get("data").isNull()).isTrue();
    }

    @Test
    void batchTriggersMayNameParentsPerRun() {
        String p1 = q.triggerId("cr-parent");
        String p2 = q.triggerId("cr-parent");
        List<String> ids = q.triggerBatch("cr-child", List.of(Map.of("parent_run_id", p1), Map.of("parent_run_id", p2),
                Map.of()));
        assertThat(q.run(ids.get(0)).get("parent_run_id").asText()).isEqualTo(p1);
        assertThat(q.run(ids.get(1)).get("parent_run_id").asText()).isEqualTo(p2);
        assertThat(q.run(ids.get(2)).get("parent_run_id").isNull()).isTrue();
    }

    @Test
    void listsAParentsChildrenNewestFirstWithCursorPagination() {
        String parent = q.triggerId("cr-parent");
        String other = q.triggerId("cr-parent");
        List<String> children = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            children.add(q.trigger("cr-listed", Map.of("parent_run_id", parent)).get("id").asText());
        }
        q.trigger("cr-child", Map.of("parent_run_id", other));
        q.triggerId("cr-child");
        List<String> seen = new ArrayList<>();
        String cursor = null;
        do {
            Api.Answer a = q.api.get("/v1/runs?parent=" + parent + "&limit=2" + (cursor == null ? "" : "&cursor=" + cursor));
            assertThat(a.status()).as(a.text()).isEqualTo(200);
            a.json().get("data").forEach(r -> seen.add(r.get("id").asText()));
            cursor = a.json().get("next_cursor").isNull() ? null : a.json().get("next_cursor").asText();
        } while (cursor != null);
        assertThat(seen).containsExactlyElementsOf(children.reversed());
        // Filters combine with parent: a state, and a job.
        assertThat(q.claim("w1", "cr-listed", 1, 30_000, 0)).extracting(r -> r.get("id").asText())
                .containsExactly(children.get(0));
        Api.Answer executing = q.api.get("/v1/runs?parent=" + parent + "&status=executing");
        assertThat(executing.json().get("data")).extracting(r -> r.get("id").asText()).containsExactly(children.get(0));
        Api.Answer byJob = q.api.get("/v1/runs?parent=" + parent + "&job=cr-parent");
        assertThat(byJob.json().get("data")).isEmpty();
    }

    @Test
    void unknownOrMalformedParentsAreRefusedAndMakeNoRun() {
        long before = q.count("SELECT count(*) FROM runs");
        assertError(q.post("/v1/jobs/cr-child/trigger", Map.of("parent_run_id", UUID.randomUUID().toString())), 404,
                "not_found");
        assertError(q.post("/v1/jobs/cr-child/trigger", Map.of("parent_run_id", "not-a-run")), 422,
                "validation_failed");
        assertError(q.post("/v1/jobs/cr-child/trigger", Map.of("parent_run_id", 12)), 400, "invalid_type");
        String parent = q.triggerId("cr-parent");
        Api.Answer batch = q.post("/v1/jobs/cr-child/trigger/batch", Map.of("runs", List.of(
                Map.of("parent_run_id", parent), Map.of("parent_run_id", UUID.randomUUID().toString()))));
        assertError(batch, 404, "not_found");
        assertThat(q.count("SELECT count(*) FROM runs")).isEqualTo(before + 1);
        assertError(q.api.get("/v1/runs?parent=nope"), 400, "invalid_parameter");
        assertError(q.api.get("/v1/runs?parent=" + UUID.randomUUID()), 404, "not_found");
    }

    @Test
    void aParentOfAnotherProjectIsTheSame404() {
        // A run of another project: made here, then moved there (runs.project_id has no foreign key).
        UUID otherProject = UUID.randomUUID();
        q.update("INSERT INTO projects (id, slug, name) VALUES (?, 'cr-other', 'other')", otherProject);
        String parentThere = q.triggerId("cr-parent");
        q.update("UPDATE runs SET project_id = ? WHERE id = ?", otherProject, UUID.fromString(parentThere));
        q.update("UPDATE run_list SET project_id = ? WHERE id = ?", otherProject, UUID.fromString(parentThere));
        long before = q.count("SELECT count(*) FROM runs");
        assertError(q.post("/v1/jobs/cr-child/trigger", Map.of("parent_run_id", parentThere)), 404, "not_found");
        assertError(q.api.get("/v1/runs?parent=" + parentThere), 404, "not_found");
        assertThat(q.count("SELECT count(*) FROM runs")).isEqualTo(before);
    }
}
