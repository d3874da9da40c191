package io.drover.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.drover.client.DroverClient;
import io.drover.testing.Api;
import io.drover.testing.Snapshot;
import io.drover.testing.TestServer;
import java.math.BigDecimal;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Times and numbers at and past the edges of what Java, PostgreSQL and JSON readers can hold:
 * inside the documented range they are stored and come back exactly; outside it they are refused
 * with 422 naming the field, and nothing is written. Each of these answered 500 (or changed the
 * value silently) before.
 */
class ExtremeValuesTest {
    /** Reads answers with every number exact, as the server must have stored it. */
    private static final ObjectMapper EXACT = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .build();
    static final List<String> BAD_TIMES = List.of("+999999999-12-31T23:59:59Z", "-999999999-01-01T00:00:00Z",
            "0000-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "1969-12-31T23:59:59Z", "+10000-01-01T00:00:00Z",
            "9999-12-31T23:59:59-01:00");

    static TestServer server;
    static Api api;

    @BeforeAll
    static void start() {
        server = TestServer.start();
        api = new Api(server);
        assertThat(api.post("/v1/jobs", Map.of("slug", "xv", "queue", "xvq")).status()).isEqualTo(201);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    record Case(String method, String path, String body, String field) {}

    @Test
    void timesOutsideYears1970To9999Are422NamingTheFieldAndWriteNothing() {
        for (String t : BAD_TIMES) {
            String q = "\"" + t + "\"";
            List<Case> cases = List.of(
                    new Case("POST", "/v1/jobs/xv/trigger", "{\"scheduled_at\":" + q + "}", "scheduled_at"),
                    new Case("POST", "/v1/jobs/xv/trigger/batch", "{\"runs\":[{},{\"scheduled_at\":" + q + "}]}",
                            "runs[1].scheduled_at"),
                    new Case("POST", "/v1/jobs", "{\"slug\":\"xt\",\"schedule\":{\"at\":" + q + "}}", "schedule.at"),
                    new Case("PATCH", "/v1/jobs/xv", "{\"schedule\":{\"at\":" + q + "}}", "schedule.at"),
                    new Case("POST", "/v1/api-keys", "{\"name\":\"k\",\"expires_at\":" + q + "}", "expires_at"),
                    new Case("POST", "/v1/workflows", "{\"slug\":\"wt\",\"steps\":[{\"id\":\"s\",\"type\":\"sleep\","
                            + "\"until\":" + q + "}]}", "steps[0].until"),
                    new Case("GET", "/v1/audit-events?since=" + enc(t), null, "since"),
                    new Case("GET", "/v1/audit-events?until=" + enc(t), null, "until"),
                    new Case("GET", "/v1/audit-events/export?since=" + enc(t), null, "since"),
                    new Case("GET", "/v1/audit-events/export?until=" + enc(t), null, "until"));
            for (Case c : cases) {
                Snapshot before = Snapshot.of(server.db());
                var a = api.send(c.method(), c.path(), c.body());
                assertThat(a.status()).as("%s %s %s -> %s", c.method(), c.path(), c.body(), a.text()).isEqualTo(422);
                assertThat(a.errorCode()).isEqualTo("validation_failed");
                assertThat(a.json().path("error").path("details").path("field").asText()).as(a.text())
                        .isEqualTo(c.field());
                assertThat(a.json().path("error").path("message").asText()).contains("1970").contains("9999");
                assertThat(Snapshot.of(server.db()).diff(before)).as("%s %s changed rows", c.method(), c.path())
                        .isEmpty();
            }
        }
    }

    @Test
    void theEdgesOfTheTimeRangeAreAcceptedAndComeBackUnchanged() {
        var late = api.post("/v1/jobs/xv/trigger", Map.of("scheduled_at", "9999-12-31T23:59:59Z"));
        assertThat(late.status()).as(late.text()).isEqualTo(201);
        var run = api.get("/v1/runs/" + late.json().get("id").asText());
        assertThat(run.json().get("scheduled_at").asText()).isEqualTo("9999-12-31T23:59:59Z");
        assertThat(run.json().get("status").asText()).isEqualTo("delayed");

        var early = api.post("/v1/jobs/xv/trigger", Map.of("scheduled_at", "1970-01-01T00:00:00Z"));
        assertThat(early.status()).as(early.text()).isEqualTo(201);

        var key = api.post("/v1/api-keys", Map.of("name", "long lived", "expires_at", "9999-12-31T23:59:59Z"));
        assertThat(key.status()).as(key.text()).isEqualTo(201);
        assertThat(key.json().get("expires_at").asText()).isEqualTo("9999-12-31T23:59:59Z");

        assertThat(api.get("/v1/audit-events?since=1970-01-01T00:00:00Z&until=9999-12-31T23:59:59Z").status())
                .isEqualTo(200);
        // an offset inside the range is fine: 1970-01-01T01:00:00+01:00 is the epoch
        assertThat(api.post("/v1/jobs/xv/trigger", Map.of("scheduled_at", "1970-01-01T01:00:00+01:00")).status())
                .isEqualTo(201);
    }

    /** Numbers that PostgreSQL stores and every reader (server, SDK, default Jackson) reads back. */
    static final List<String> GOOD_NUMBERS = List.of("1e100", "1.5e-300", "12345678901234567890123", "-0.0", "0.1",
            "1.50", "-2.5E+3", "9".repeat(1000), "1e999", "-1e998", "1e-997");

    @Test
    void numbersRoundTripExactlyThroughRunsJobsAndWorkflows() throws Exception {
        int i = 0;
        for (String n : GOOD_NUMBERS) {
            BigDecimal expected = new BigDecimal(n);
            // a run's payload and metadata
            var t = api.send("POST", "/v1/jobs/xv/trigger", "{\"payload\":{\"v\":[" + n + "]},\"metadata\":{\"m\":" + n
                    + "}}");
            assertThat(t.status()).as("%s -> %s", n, t.text()).isEqualTo(201);
            JsonNode run = exact(api.get("/v1/runs/" + t.json().get("id").asText()).text());
            assertThat(run.get("payload").get("v").get(0).decimalValue()).as(n).isEqualByComparingTo(expected);
            assertThat(run.get("metadata").get("m").decimalValue()).as(n).isEqualByComparingTo(expected);

            // a job's default_metadata, read back through the stored spec, and merged into its runs
            String slug = "num" + i++;
            var job = api.send("POST", "/v1/jobs", "{\"slug\":\"" + slug + "\",\"default_metadata\":{\"d\":" + n + "}}");
            assertThat(job.status()).as("%s -> %s", n, job.text()).isEqualTo(201);
            var got = api.get("/v1/jobs/" + slug);
            assertThat(got.status()).as("%s -> %s", n, got.text()).isEqualTo(200);
            assertThat(exact(got.text()).get("default_metadata").get("d").decimalValue()).as(n)
                    .isEqualByComparingTo(expected);
            var merged = api.post("/v1/jobs/" + slug + "/trigger", Map.of());
            assertThat(merged.status()).as("%s -> %s", n, merged.text()).isEqualTo(201);
            assertThat(exact(merged.text()).get("metadata").get("d").decimalValue()).as(n)
                    .isEqualByComparingTo(expected);
            var patched = api.send("PATCH", "/v1/jobs/" + slug, "{\"description\":\"again\"}");
            assertThat(patched.status()).as("%s -> %s", n, patched.text()).isEqualTo(200);

            // a workflow step's payload, read back through the stored definition
            var wf = api.send("POST", "/v1/workflows", "{\"slug\":\"w" + slug + "\",\"steps\":[{\"id\":\"a\",\"job\":\""
                    + slug + "\",\"payload\":{\"p\":" + n + "}}]}");
            assertThat(wf.status()).as("%s -> %s", n, wf.text()).isEqualTo(201);
            var wfGot = api.get("/v1/workflows/w" + slug);
            assertThat(wfGot.status()).as("%s -> %s", n, wfGot.text()).isEqualTo(200);
            assertThat(exact(wfGot.text()).get("steps").get(0).get("payload").get("p").decimalValue()).as(n)
                    .isEqualByComparingTo(expected);
        }
    }

    @Test
    void theSdkReadsTheseNumbersBack() {
        try (DroverClient client = DroverClient.builder().baseUrl(server.baseUrl()).apiKey(server.adminKey()).build()) {
            for (String n : GOOD_NUMBERS) {
                var t = api.send("POST", "/v1/jobs/xv/trigger", "{\"payload\":{\"v\":" + n + "}}");
                assertThat(t.status()).as("%s -> %s", n, t.text()).isEqualTo(201);
                JsonNode v = client.getRun(t.json().get("id").asText()).payload().get("v");
                assertThat(v.isNumber()).as(n).isTrue();
                if (v.isIntegralNumber()) {
                    assertThat(new BigDecimal(v.bigIntegerValue())).as(n).isEqualByComparingTo(new BigDecimal(n));
                } else {
                    // the SDK reads fractions as doubles, as Jackson does by default
                    assertThat(v.doubleValue()).as(n).isEqualTo(new BigDecimal(n).doubleValue());
                }
            }
        }
    }

    @Test
    void numbersThatCannotRoundTripAre422NamingThePathAndWriteNothing() {
        List<Case> cases = List.of(
                new Case("POST", "/v1/jobs/xv/trigger", "{\"payload\":{\"a\":{\"b\":[1,1e999999]}}}", "payload.a.b[1]"),
                new Case("POST", "/v1/jobs/xv/trigger", "{\"payload\":1e-999999}", "payload"),
                new Case("POST", "/v1/jobs/xv/trigger", "{\"payload\":-1e1000}", "payload"),
                new Case("POST", "/v1/jobs/xv/trigger", "{\"payload\":{\"e\":1e99999999999}}", "payload.e"),
                new Case("POST", "/v1/jobs/xv/trigger", "{\"metadata\":{\"e\":[1e-2147483648]}}", "metadata.e[0]"),
                new Case("POST", "/v1/jobs/xv/trigger", "{\"payload\":1e-1000}", "payload"),
                new Case("POST", "/v1/jobs/xv/trigger", "{\"metadata\":{\"x\":" + "9".repeat(1001) + "}}", "metadata.x"),
                new Case("POST", "/v1/jobs/xv/trigger", "{\"payload\":[0." + "1".repeat(1000) + "]}", "payload[0]"),
                new Case("POST", "/v1/jobs/xv/trigger/batch", "{\"runs\":[{},{\"payload\":1e999999}]}",
                        "runs[1].payload"),
                new Case("POST", "/v1/jobs", "{\"slug\":\"nx\",\"default_metadata\":{\"x\":1e999999}}",
                        "default_metadata.x"),
                new Case("PATCH", "/v1/jobs/xv", "{\"default_metadata\":{\"x\":1e-999999}}", "default_metadata.x"),
                new Case("POST", "/v1/workflows", "{\"slug\":\"wx\",\"steps\":[{\"id\":\"a\",\"job\":\"xv\","
                        + "\"payload\":{\"p\":1e999999}}]}", "steps[0].payload.p"));
        for (Case c : cases) {
            Snapshot before = Snapshot.of(server.db());
            var a = api.send(c.method(), c.path(), c.body());
            assertThat(a.status()).as("%s %s -> %s", c.method(), c.body(), a.text()).isEqualTo(422);
            assertThat(a.errorCode()).isEqualTo("validation_failed");
            assertThat(a.json().path("error").path("details").path("field").asText()).as(a.text())
                    .isEqualTo(c.field());
            assertThat(Snapshot.of(server.db()).diff(before)).as("%s %s changed rows", c.method(), c.body())
                    .isEmpty();
        }
    }

    private static JsonNode exact(String text) throws Exception {
        return EXACT.readTree(text);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
