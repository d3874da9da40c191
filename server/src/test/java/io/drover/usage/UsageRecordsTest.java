package io.drover.usage;

import static io.drover.usage.UsageKit.tokens;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.testing.Api;
import io.drover.testing.TestClock;
import io.drover.testing.TestServer;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Usage records: who may record, what they cost, the run's total, prices by effective date, bad input. */
class UsageRecordsTest {
    static final TestClock clock = new TestClock();
    static TestServer server;
    static UsageKit kit;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of("DROVER_PUSH_ENABLED", "false"), clock);
        kit = new UsageKit(server);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @org.junit.jupiter.api.BeforeEach
    void realTime() {
        clock.reset();
    }

    @Test
    void theHolderRecordsUsageAndTheRunAddsItUp() {
        kit.job("usage-rec");
        String id = kit.held("usage-rec", "w1");
        assertThat(kit.run(id).get("cost_microusd").asLong()).as("no usage yet").isZero();

        // claude-sonnet-4 (catalog): $3 in, $15 out, $0.30 cached read per million tokens
        Api.Answer a = kit.usage(id, tokens("w1", "anthropic", "claude-sonnet-4-20250514", 1000, 500, 2000));
        assertThat(a.status()).as(a.text()).isEqualTo(201);
        assertThat(a.json().get("cost_microusd").asLong()).isEqualTo(3_000 + 7_500 + 600);
        assertThat(a.json().get("run_cost_microusd").asLong()).isEqualTo(11_100);

        // the operator (no worker_id) records too, with a cost it knows
        Map<String, Object> given = tokens(null, "OpenAI", "gpt-4o", 10, 10, 0);
        given.put("cost_microusd", 42);
        Api.Answer b = kit.usage(id, given);
        assertThat(b.status()).as(b.text()).isEqualTo(201);
        assertThat(b.json().get("cost_microusd").asLong()).isEqualTo(42);
        assertThat(b.json().get("run_cost_microusd").asLong()).isEqualTo(11_142);

        assertThat(kit.run(id).get("cost_microusd").asLong()).isEqualTo(11_142);
        JsonNode rows = kit.api.get("/v1/runs/" + id + "/usage").json().get("data");
        assertThat(rows).hasSize(2);
        assertThat(rows.get(0).get("price_source").asText()).isEqualTo("catalog:2026-12");
        assertThat(rows.get(0).get("input_microusd_per_mtok").asLong()).isEqualTo(3_000_000);
        assertThat(rows.get(0).get("output_microusd_per_mtok").asLong()).isEqualTo(15_000_000);
        assertThat(rows.get(0).get("cached_input_microusd_per_mtok").asLong()).isEqualTo(300_000);
        assertThat(rows.get(0).get("worker_id").asText()).isEqualTo("w1");
        assertThat(rows.get(1).get("provider").asText()).isEqualTo("openai");
        assertThat(rows.get(1).get("price_source").asText()).isEqualTo("given");
        assertThat(rows.get(1).get("input_microusd_per_mtok").isNull()).isTrue();
    }

    @Test
    void aWorkerThatDoesNotHoldTheRunIsRefusedAndNothingChanges() {
        kit.job("usage-holder");
        String id = kit.held("usage-holder", "w1");
        Api.Answer a = kit.usage(id, tokens("w2", "openai", "gpt-4o", 1000, 1000, 0));
        assertThat(a.status()).as(a.text()).isEqualTo(409);
        assertThat(a.errorCode()).isEqualTo("not_held");
        assertThat(kit.run(id).get("cost_microusd").asLong()).isZero();
        assertThat(kit.count("SELECT count(*) FROM usage_records WHERE run_id = ?", UUID.fromString(id))).isZero();

        // once the run is finished its worker no longer holds it either
        assertThat(kit.api.post("/v1/runs/" + id + "/complete", Map.of("worker_id", "w1")).status()).isEqualTo(200);
        assertThat(kit.usage(id, tokens("w1", "openai", "gpt-4o", 1, 1, 0)).status()).isEqualTo(409);
        // an operator may still book usage to a finished run
        assertThat(kit.usage(id, tokens(null, "openai", "gpt-4o", 1_000_000, 0, 0)).json()
                .get("run_cost_microusd").asLong()).isEqualTo(2_500_000);
    }

    @Test
    void anUnknownModelRecordsTokensAtCostZeroWithAWarningEvent() {
        kit.job("usage-unknown");
        String id = kit.held("usage-unknown", "w1");
        Api.Answer a = kit.usage(id, tokens("w1", "acme", "brainy-9000", 123, 456, 7));
        assertThat(a.status()).as(a.text()).isEqualTo(201);
        assertThat(a.json().get("cost_microusd").asLong()).isZero();
        JsonNode row = kit.api.get("/v1/runs/" + id + "/usage").json().get("data").get(0);
        assertThat(row.get("input_tokens").asLong()).isEqualTo(123);
        assertThat(row.get("output_tokens").asLong()).isEqualTo(456);
        assertThat(row.get("cached_input_tokens").asLong()).isEqualTo(7);
        assertThat(row.get("price_source").asText()).isEqualTo("unpriced");
        JsonNode events = kit.api.get("/v1/runs/" + id + "/events").json().get("data");
        assertThat(events.findValuesAsText("type")).contains("usage_unpriced");
        assertThat(kit.run(id).get("status").asText()).isEqualTo("executing");
    }

    @Test
    void projectPricesApplyFromTheirEffectiveDateAndNeverRewriteEarlierRecords() {
        kit.job("usage-prices");
        String id = kit.held("usage-prices", "w1");
        Instant t0 = clock.instant();
        Api.Answer put = kit.api.send("PUT", "/v1/pricing", Map.of("entries", List.of(
                price("openai", "gpt-4o", 1_000_000, 2_000_000, 500_000, t0.plus(Duration.ofHours(1))),
                price("openai", "gpt-4o", 4_000_000, 8_000_000, 1_000_000, t0.plus(Duration.ofHours(2))))));
        assertThat(put.status()).as(put.text()).isEqualTo(200);
        assertThat(put.json().get("entries")).hasSize(2);

        // recorded by the operator: the clock moves past the worker's lease
        Map<String, Object> million = tokens(null, "openai", "gpt-4o-2024-08-06", 1_000_000, 1_000_000, 1_000_000);
        long catalog = kit.usage(id, million).json().get("cost_microusd").asLong();
        assertThat(catalog).as("before the first override: the catalog").isEqualTo(2_500_000 + 10_000_000 + 1_250_000);
        clock.advance(Duration.ofMinutes(61));
        assertThat(kit.usage(id, million).json().get("cost_microusd").asLong()).isEqualTo(3_500_000);
        clock.advance(Duration.ofHours(1));
        assertThat(kit.usage(id, million).json().get("cost_microusd").asLong()).isEqualTo(13_000_000);

        JsonNode rows = kit.api.get("/v1/runs/" + id + "/usage").json().get("data");
        assertThat(rows.findValuesAsText("price_source")).containsExactly("catalog:2026-12", "project", "project");
        assertThat(rows.findValuesAsText("cost_microusd")).containsExactly("13750000", "3500000", "13000000");
        assertThat(kit.run(id).get("cost_microusd").asLong()).isEqualTo(13_750_000 + 3_500_000 + 13_000_000);
    }

    @Test
    void prometheusCountsCostAndTokensByJobProviderAndModel() {
        kit.job("usage-metrics");
        String id = kit.held("usage-metrics", "w1");
        kit.usage(id, tokens("w1", "openai", "gpt-4o", 1_000_000, 0, 0)); // 2,500,000 micro-USD
        kit.usage(id, tokens("w1", "openai", "gpt-4o", 0, 1_000, 0)); // 10,000
        String text = kit.api.get("/metrics").text();
        assertThat(text).contains("drover_usage_cost_microusd_total{job=\"usage-metrics\",model=\"gpt-4o\","
                + "provider=\"openai\"} 2510000.0");
        assertThat(text).contains("drover_usage_tokens_total{job=\"usage-metrics\",kind=\"input\",model=\"gpt-4o\","
                + "provider=\"openai\"} 1000000.0");
        assertThat(text).contains("drover_usage_tokens_total{job=\"usage-metrics\",kind=\"output\",model=\"gpt-4o\","
                + "provider=\"openai\"} 1000.0");
    }

    @Test
    void badInputIsRefusedAndNothingIsWritten() {
        kit.job("usage-bad");
        String id = kit.held("usage-bad", "w1");
        assertError(kit.usage(id, Map.of("model", "gpt-4o")), 422, "validation_failed");
        assertError(kit.usage(id, Map.of("provider", "openai")), 422, "validation_failed");
        assertError(kit.usage(id, Map.of("provider", "openai", "model", "gpt 4o")), 422, "validation_failed");
        assertError(kit.usage(id, Map.of("provider", 7, "model", "gpt-4o")), 400, "invalid_type");
        assertError(kit.usage(id, Map.of("provider", "openai", "model", "gpt-4o", "input_tokens", -1)), 422,
                "validation_failed");
        assertError(kit.usage(id, Map.of("provider", "openai", "model", "gpt-4o", "input_tokens", "12")), 400,
                "invalid_type");
        assertError(kit.usage(id, Map.of("provider", "openai", "model", "gpt-4o", "cost_microusd", -5)), 422,
                "validation_failed");
        assertError(kit.usage(id, Map.of("provider", "openai", "model", "gpt-4o", "tokens", 5)), 422, "unknown_field");
        assertError(kit.usage(id, Map.of("worker_id", "has space", "provider", "openai", "model", "gpt-4o")), 422,
                "validation_failed");
        assertError(kit.usage(UUID.randomUUID().toString(), Map.of("provider", "openai", "model", "gpt-4o")), 404,
                "not_found");
        assertError(kit.api.get("/v1/runs/" + UUID.randomUUID() + "/usage"), 404, "not_found");
        assertThat(kit.count("SELECT count(*) FROM usage_records WHERE run_id = ?", UUID.fromString(id))).isZero();
        assertThat(kit.run(id).get("cost_microusd").asLong()).isZero();

        assertError(kit.api.send("PUT", "/v1/pricing", Map.of()), 422, "validation_failed");
        assertError(kit.api.send("PUT", "/v1/pricing", Map.of("entries", "x")), 400, "invalid_type");
        Map<String, Object> noDate = price("openai", "gpt-bad", 1, 1, 1, Instant.now());
        noDate.remove("effective_from");
        assertError(kit.api.send("PUT", "/v1/pricing", Map.of("entries", List.of(noDate))), 422, "validation_failed");
        Map<String, Object> negative = price("openai", "gpt-bad", -1, 1, 1, Instant.now());
        assertError(kit.api.send("PUT", "/v1/pricing", Map.of("entries", List.of(negative))), 422,
                "validation_failed");
        assertThat(kit.count("SELECT count(*) FROM pricing_overrides WHERE model = 'gpt-bad'")).isZero();
    }

    static Map<String, Object> price(String provider, String model, long in, long out, long cached, Instant from) {
        Map<String, Object> m = new HashMap<>();
        m.put("provider", provider);
        m.put("model", model);
        m.put("input_microusd_per_mtok", in);
        m.put("output_microusd_per_mtok", out);
        m.put("cached_input_microusd_per_mtok", cached);
        m.put("effective_from", from.toString());
        return m;
    }

    static void assertError(Api.Answer a, int status, String code) {
        assertThat(a.status()).as(a.text()).isEqualTo(status);
        assertThat(a.json().get("error")).as(a.text()).isNotNull();
        if (code != null) {
            assertThat(a.errorCode()).as(a.text()).isEqualTo(code);
        }
    }
}
