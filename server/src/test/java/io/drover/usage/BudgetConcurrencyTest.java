package io.drover.usage;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.testing.Api;
import io.drover.testing.TestServer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * 20 threads on 2 nodes trigger, claim, record usage and complete against one daily budget with
 * action reject. The counter is exact (it equals the sum of the usage rows), budget.exceeded is
 * emitted once, and spend passes the budget by at most what the runs in flight record: each thread
 * holds at most one run, which records {@link #RECORDS_PER_RUN} times {@link #COST}, so the
 * overshoot is below 20 x 3 x 1,000 micro-USD.
 */
class BudgetConcurrencyTest {
    static final int THREADS = 20;
    static final long COST = 1_000;
    static final int RECORDS_PER_RUN = 3;
    static final long BUDGET = 200_000;

    @Test
    void concurrentSpendOnTwoNodesOvershootsByAtMostTheRunsInFlight() throws Exception {
        try (TestServer a = TestServer.start(Map.of("DROVER_PUSH_ENABLED", "false"));
                TestServer b = TestServer.startOn(a.jdbcUrl(), Map.of("DROVER_PUSH_ENABLED", "false"))) {
            UsageKit ka = new UsageKit(a);
            UsageKit kb = new UsageKit(b);
            ka.job("budget-race");
            Api.Answer put = ka.api.send("PUT", "/v1/budgets", Map.of("daily_microusd", BUDGET, "action", "reject"));
            assertThat(put.status()).as(put.text()).isEqualTo(200);

            AtomicInteger refused = new AtomicInteger();
            AtomicInteger runs = new AtomicInteger();
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                UsageKit kit = t % 2 == 0 ? ka : kb;
                String worker = "w" + t;
                done.add(pool.submit(() -> {
                    while (true) {
                        Api.Answer trig = kit.trigger("budget-race");
                        if (trig.status() == 402) {
                            refused.incrementAndGet();
                            return null;
                        }
                        assertThat(trig.status()).as(trig.text()).isEqualTo(201);
                        // one run triggered, one claimed: a worker holds one run at a time
                        String claimed = null;
                        while (claimed == null) {
                            claimed = kit.claim("budget-race", worker);
                        }
                        runs.incrementAndGet();
                        for (int i = 0; i < RECORDS_PER_RUN; i++) {
                            Map<String, Object> body = UsageKit.tokens(worker, "openai", "gpt-4o", 1, 1, 0);
                            body.put("cost_microusd", COST);
                            Api.Answer u = kit.usage(claimed, body);
                            assertThat(u.status()).as(u.text()).isEqualTo(201);
                        }
                        Api.Answer c = kit.api.post("/v1/runs/" + claimed + "/complete", Map.of("worker_id", worker));
                        assertThat(c.status()).as(c.text()).isEqualTo(200);
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
            pool.shutdown();

            long rows = ka.count("SELECT coalesce(sum(cost_microusd), 0) FROM usage_records");
            long counter = ka.count("SELECT spent_microusd FROM spend_windows WHERE period = 'day'");
            long runCosts = ka.count("SELECT coalesce(sum(cost_microusd), 0) FROM runs WHERE job_slug = 'budget-race'");
            assertThat(counter).as("the counter is exact").isEqualTo(rows).isEqualTo(runCosts);
            assertThat(rows).as("every recorded run").isEqualTo(runs.get() * RECORDS_PER_RUN * COST);
            assertThat(counter).isGreaterThanOrEqualTo(BUDGET);
            assertThat(counter - BUDGET).as("overshoot bounded by the runs in flight")
                    .isLessThan(THREADS * RECORDS_PER_RUN * COST);
            assertThat(refused.get()).isEqualTo(THREADS);
            assertThat(ka.count("SELECT count(*) FROM log_events WHERE type = 'budget.exceeded'")).isEqualTo(1);
            System.out.printf("budget race: %d runs, spent %d of %d micro-USD (overshoot %d, bound %d)%n", runs.get(),
                    counter, BUDGET, counter - BUDGET, THREADS * RECORDS_PER_RUN * COST);
        }
    }
}
