package io.drover.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.http.Json;
import io.drover.testing.Api;
import io.drover.testing.TestServer;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Each filter of the audit list and export (each a fragment of the list_audit and export_audit
 * statements) keeps exactly the rows it names, alone and together, and pages walk the same rows.
 */
class AuditFiltersTest {
    static TestServer server;
    static Api api;

    @BeforeAll
    static void start() {
        server = TestServer.start();
        api = new Api(server);
        for (String slug : List.of("f-one", "f-two", "f-three")) {
            assertThat(api.post("/v1/jobs", Map.of("slug", slug)).status()).isEqualTo(201);
        }
        assertThat(api.patch("/v1/jobs/f-two", Map.of("max_attempts", 4)).status()).isEqualTo(200);
        assertThat(api.post("/v1/secrets", Map.of("name", "F_KEY", "value", "v")).status()).isIn(200, 201);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static List<JsonNode> list(String query) {
        Api.Answer a = api.get("/v1/audit-events?limit=500" + query);
        assertThat(a.status()).as(a.text()).isEqualTo(200);
        List<JsonNode> out = new ArrayList<>();
        a.json().get("data").forEach(out::add);
        return out;
    }

    static List<String> ids(List<JsonNode> rows) {
        return rows.stream().map(r -> r.get("id").asText()).toList();
    }

    static List<String> expected(Predicate<JsonNode> keep) {
        return ids(list("").stream().filter(keep).toList());
    }

    static String q(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    @Test
    void eachFilterKeepsTheRowsItNames() {
        List<JsonNode> all = list("");
        assertThat(all).hasSizeGreaterThanOrEqualTo(5);
        assertThat(ids(list("&action=job.create"))).hasSize(3)
                .isEqualTo(expected(r -> r.get("action").asText().equals("job.create")));
        // a prefix ending in "." matches every action under it
        assertThat(ids(list("&action=job."))).hasSize(4)
                .isEqualTo(expected(r -> r.get("action").asText().startsWith("job.")));
        assertThat(list("&action=job")).isEmpty(); // without the dot: the exact action only
        assertThat(ids(list("&target_type=secret")))
                .isEqualTo(expected(r -> r.get("target_type").asText().equals("secret"))).hasSize(1);
        String target = list("&action=job.update").get(0).get("target_id").asText();
        assertThat(ids(list("&target_id=" + target))).hasSize(2) // its create and its update
                .isEqualTo(expected(r -> r.get("target_id").asText().equals(target)));
        String actor = all.get(0).at("/actor/id").asText();
        assertThat(ids(list("&actor_id=" + actor)))
                .isEqualTo(expected(r -> r.at("/actor/id").asText().equals(actor))).isNotEmpty();
        assertThat(list("&actor_id=00000000-0000-0000-0000-000000000000")).isEmpty();
    }

    @Test
    void sinceAndUntilSplitTheRowsAtATime() {
        List<JsonNode> creates = list("&action=job.create"); // newest first
        String middle = creates.get(1).get("ts").asText();
        List<String> since = ids(list("&action=job.create&since=" + q(middle)));
        List<String> until = ids(list("&action=job.create&until=" + q(middle)));
        assertThat(since).containsExactly(creates.get(0).get("id").asText(), creates.get(1).get("id").asText());
        assertThat(until).containsExactly(creates.get(2).get("id").asText());
        assertThat(list("&action=job.create&since=" + q(middle) + "&until=" + q(middle))).isEmpty();
    }

    @Test
    void pagesAndTheExportWalkTheSameFilteredRows() {
        List<String> expected = ids(list("&action=job."));
        List<String> paged = new ArrayList<>();
        String cursor = null;
        do {
            Api.Answer page = api.get("/v1/audit-events?limit=1&action=job."
                    + (cursor == null ? "" : "&cursor=" + q(cursor)));
            assertThat(page.status()).as(page.text()).isEqualTo(200);
            page.json().get("data").forEach(r -> paged.add(r.get("id").asText()));
            cursor = page.json().get("next_cursor").isNull() ? null : page.json().get("next_cursor").asText();
        } while (cursor != null && paged.size() < 10);
        assertThat(paged).isEqualTo(expected);
        Api.Answer export = api.get("/v1/audit-events/export?action=job.");
        assertThat(export.status()).isEqualTo(200);
        List<String> exported = export.text().lines().filter(l -> !l.isBlank())
                .map(l -> Json.read(l).get("id").asText()).toList();
        assertThat(exported).isEqualTo(expected.reversed()); // oldest first
    }
}
