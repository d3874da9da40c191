package io.drover.usage;

import static io.drover.usage.UsageKit.tokens;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.testing.Api;
import io.drover.testing.TestClock;
import io.drover.testing.TestServer;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Budgets: reject (402), block until the window turns in the project's time zone, notify, per-run cancel. */
class BudgetsTest {
    static final TestClock clock = new TestClock();
    static TestServer server;
    static UsageKit kit;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of("DROVER_PUSH_ENABLED", "false", "DROVER_POLL_INTERVAL_MS", "3600000",
                "DROVER_REAPER_INTERVAL_MS", "3600000"), clock);
        kit = new UsageKit(server);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @BeforeEach
    void fresh() {
        clock.reset();
        // each test starts with no budget and an empty counter
        assertThat(kit.api.send("PUT", "/v1/budgets", Map.of()).status()).isEqualTo(200);
        server.db().tx(c -> {
            try (var st = c.createStatement()) {
                st.executeUpdate("DELETE FROM spend_windows");
                st.executeUpdate("DELETE FROM log_events WHERE type = 'budget.exceeded'");
            }
            return null;
        });
        timeZone("UTC");
    }

    static void timeZone(String zone) {
        Api.Answer a = kit.api.send("PATCH", "/v1/projects/default", Map.of("settings", Map.of("timezone", zone)));
        assertThat(a.status()).as(a.text()).isEqualTo(200);
    }

    static void budget(Map<String, Object> body) {
        Api.Answer a = kit.api.send("PUT", "/v1/budgets", body);
        assertThat(a.status()).as(a.text()).isEqualTo(200);
    }

    static Map<String, Object> spend(String worker, long microusd) {
        Map<String, Object> m = tokens(worker, "openai", "gpt-4o", 10, 10, 0);
        m.put("cost_microusd", microusd);
        return m;
    }

    static long budgetEvents(String scope) {
        return kit.count("SELECT count(*) FROM log_events WHERE type = 'budget.exceeded' AND data ->> 'scope' = ?",
                scope);
    }

    @Test
    void rejectAnswersTriggers402OnceTheDailyBudgetIsSpent() {
        kit.job("budget-reject");
        budget(Map.of("daily_microusd", 10_000, "action", "reject"));
        String id = kit.held("budget-reject", "w");
        assertThat(kit.usage(id, spend("w", 9_999)).status()).isEqualTo(201);
        assertThat(kit.trigger("budget-reject").status()).as("one micro-USD left").isEqualTo(201);
        assertThat(budgetEvents("daily")).isZero();
        assertThat(kit.usage(id, spend("w", 1)).status()).isEqualTo(201);

        long runsBefore = kit.count("SELECT count(*) FROM runs WHERE job_slug = 'budget-reject'");
        Api.Answer refused = kit.trigger("budget-reject");
        assertThat(refused.status()).as(refused.text()).isEqualTo(402);
        assertThat(refused.errorCode()).isEqualTo("budget_exceeded");
        assertThat(refused.json().at("/error/message").asText()).contains("daily");
        assertThat(refused.json().at("/error/details/limit_microusd").asLong()).isEqualTo(10_000);
        assertThat(kit.count("SELECT count(*) FROM runs WHERE job_slug = 'budget-reject'")).isEqualTo(runsBefore);
        Api.Answer batch = kit.api.post("/v1/jobs/budget-reject/trigger/batch",
                Map.of("runs", java.util.List.of(Map.of(), Map.of())));
        assertThat(batch.status()).isEqualTo(402);

        // usage already in flight is still recorded (it was spent); budget.exceeded is told once
        assertThat(kit.usage(id, spend("w", 500)).status()).isEqualTo(201);
        assertThat(budgetEvents("daily")).isEqualTo(1);
        JsonNode b = kit.api.get("/v1/budgets").json();
        assertThat(b.get("daily_spent_microusd").asLong()).isEqualTo(10_500);

        // the next day (UTC here) the window is new
        clock.advance(Duration.ofDays(1));
        assertThat(kit.trigger("budget-reject").status()).isEqualTo(201);
    }

    @Test
    void blockHoldsNewRunsUntilTheProjectsDayTurnsThenReleasesThem() throws Exception {
        ZoneId zone = ZoneId.of("Asia/Kathmandu"); // UTC+05:45: the day turns at 18:15 UTC
        timeZone(zone.getId());
        kit.job("budget-block");
        budget(Map.of("daily_microusd", 1_000, "action", "block"));
        String id = kit.held("budget-block", "w");
        assertThat(kit.usage(id, spend("w", 1_000)).status()).isEqualTo(201);

        Instant now = clock.instant();
        Instant turn = LocalDate.ofInstant(now, zone).plusDays(1).atStartOfDay(zone).toInstant();
        Api.Answer held = kit.trigger("budget-block");
        assertThat(held.status()).as(held.text()).isEqualTo(201);
        assertThat(held.json().get("status").asText()).isEqualTo("delayed");
        assertThat(Instant.parse(held.json().get("scheduled_at").asText())).isEqualTo(turn);
        String heldId = held.json().get("id").asText();
        assertThat(kit.api.get("/v1/budgets").json().get("daily_resets_at").asText()).isEqualTo(turn.toString());

        // a run asked for after the turn keeps its own time
        Instant later = turn.plus(Duration.ofHours(3));
        Api.Answer asked = kit.api.post("/v1/jobs/budget-block/trigger", Map.of("scheduled_at", later.toString()));
        assertThat(Instant.parse(asked.json().get("scheduled_at").asText())).isEqualTo(later);

        clock.advance(Duration.between(now, turn).minusSeconds(1));
        server.server().promoter().runOnce();
        assertThat(kit.run(heldId).get("status").asText()).as("a second before the turn").isEqualTo("delayed");
        clock.advance(Duration.ofSeconds(2));
        server.server().promoter().runOnce();
        assertThat(kit.run(heldId).get("status").asText()).as("the window turned").isEqualTo("queued");
        Api.Answer fresh = kit.trigger("budget-block");
        assertThat(fresh.json().get("status").asText()).as("a new day, nothing spent").isEqualTo("queued");
    }

    @Test
    void notifyOnlyTellsOncePerWindow() {
        kit.job("budget-notify");
        budget(Map.of("daily_microusd", 1_000, "monthly_microusd", 100_000, "action", "notify"));
        String id = kit.held("budget-notify", "w");
        for (int i = 0; i < 3; i++) {
            assertThat(kit.usage(id, spend("w", 800)).status()).isEqualTo(201);
        }
        assertThat(kit.trigger("budget-notify").status()).isEqualTo(201);
        assertThat(budgetEvents("daily")).isEqualTo(1);
        assertThat(budgetEvents("monthly")).isZero();
        JsonNode event = kit.api.get("/v1/budgets").json();
        assertThat(event.get("daily_spent_microusd").asLong()).isEqualTo(2_400);
        assertThat(event.get("monthly_spent_microusd").asLong()).isEqualTo(2_400);
    }

    @Test
    void aRunPastItsPerRunBudgetIsCanceledAndItsWorkersHeartbeatGets409() {
        kit.job("budget-per-run");
        budget(Map.of("per_run_microusd", 5_000, "action", "notify"));
        String id = kit.held("budget-per-run", "w");
        Api.Answer first = kit.usage(id, spend("w", 3_000));
        assertThat(first.json().get("run_canceled").asBoolean()).isFalse();
        assertThat(kit.api.post("/v1/runs/" + id + "/heartbeat", Map.of("worker_id", "w")).status()).isEqualTo(200);
        Api.Answer second = kit.usage(id, tokens("w", "anthropic", "claude-opus-4-1", 100, 100, 0)); // 9,000
        assertThat(second.status()).as(second.text()).isEqualTo(201);
        assertThat(second.json().get("run_cost_microusd").asLong()).isEqualTo(12_000);
        assertThat(second.json().get("run_canceled").asBoolean()).isTrue();
        assertThat(kit.run(id).get("status").asText()).isEqualTo("canceled");
        Api.Answer beat = kit.api.post("/v1/runs/" + id + "/heartbeat", Map.of("worker_id", "w"));
        assertThat(beat.status()).isEqualTo(409);
        assertThat(beat.json().at("/error/details/status").asText()).isEqualTo("canceled");
        assertThat(budgetEvents("run")).isEqualTo(1);
        // another run of the job is not affected
        String other = kit.held("budget-per-run", "w");
        assertThat(kit.usage(other, spend("w", 4_000)).json().get("run_canceled").asBoolean()).isFalse();
    }

    @Test
    void badBudgetsAreRefusedAndChangeNothing() {
        budget(Map.of("daily_microusd", 7, "action", "notify"));
        for (Map<String, Object> bad : new Map[] {Map.of("daily_microusd", 5), Map.of("daily_microusd", -1,
                "action", "reject"), Map.of("daily_microusd", 5, "action", "shout"), Map.of("weekly_microusd", 5,
                "action", "notify"), Map.of("daily_microusd", "5", "action", "notify")}) {
            Api.Answer a = kit.api.send("PUT", "/v1/budgets", new HashMap<>(bad));
            assertThat(a.status()).as(a.text()).isBetween(400, 422);
            assertThat(a.json().at("/error/code").asText()).isNotEmpty();
        }
        JsonNode b = kit.api.get("/v1/budgets").json();
        assertThat(b.get("daily_microusd").asLong()).isEqualTo(7);
        assertThat(b.get("action").asText()).isEqualTo("notify");
    }
}
