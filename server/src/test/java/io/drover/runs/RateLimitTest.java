package io.drover.runs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.testing.Api;
import io.drover.testing.TestClock;
import io.drover.testing.TestServer;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Named rate limits (POST /v1/rate-limits, jobs' rate_limit_keys), enforced by the claim: two
 * nodes on one database with many workers never start more runs of a key in one window than its
 * limit; runs over the limit stay queued with their attempt unchanged and start in a later window.
 */
class RateLimitTest {
    static final TestClock clock = new TestClock();
    static TestServer server;
    static TestServer otherNode;
    static RunFixture q;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of("DROVER_PUSH_ENABLED", "false", "DROVER_POLL_INTERVAL_MS", "50"));
        otherNode = TestServer.startOn(server.jdbcUrl(),
                Map.of("DROVER_PUSH_ENABLED", "false", "DROVER_POLL_INTERVAL_MS", "50"));
        q = new RunFixture(server);
    }

    @AfterAll
    static void stop() {
        if (otherNode != null) {
            otherNode.close();
        }
        server.close();
    }

    static Api.Answer limit(String key, Object limit, Object periodMs) {
        return q.post("/v1/rate-limits", Map.of("key", key, "limit", limit, "period_ms", periodMs));
    }

    @Test
    void createChangeAndList() {
        Api.Answer made = limit("crud-key", 5, 1000);
        assertThat(made.status()).as(made.text()).isEqualTo(201);
        assertThat(made.json().get("limit").asInt()).isEqualTo(5);
        Api.Answer changed = limit("crud-key", 7, 2000);
        assertThat(changed.status()).as(changed.text()).isEqualTo(200);
        assertThat(changed.json().get("period_ms").asLong()).isEqualTo(2000);
        JsonNode list = q.api.get("/v1/rate-limits").json();
        JsonNode mine = null;
        for (JsonNode l : list.get("data")) {
            if (l.get("key").asText().equals("crud-key")) {
                mine = l;
            }
        }
        assertThat(mine).isNotNull();
        assertThat(mine.get("limit").asInt()).isEqualTo(7);
        assertThat(mine.get("used_in_window").asInt()).isZero();
        assertThat(q.count("SELECT count(*) FROM audit_log WHERE action IN ('rate_limit.create', 'rate_limit.update')"))
                .isGreaterThanOrEqualTo(2);
    }

    @Test
    void badInputIsRefusedAndChangesNothing() {
        long before = q.count("SELECT count(*) FROM rate_limits");
        RunFixture.assertError(limit("bad key!", 5, 1000), 422, "validation_failed");
        RunFixture.assertError(limit("k", 0, 1000), 422, "validation_failed");
        RunFixture.assertError(limit("k", 5, 0), 422, "validation_failed");
        assertThat(limit("k", "five", 1000).status()).isEqualTo(400);
        RunFixture.assertError(q.post("/v1/rate-limits", Map.of("key", "k", "limit", 5)), 422, "validation_failed");
        RunFixture.assertError(q.post("/v1/rate-limits", Map.of("key", "k", "limit", 5, "period_ms", 10, "x", 1)),
                422, "unknown_field");
        assertThat(q.count("SELECT count(*) FROM rate_limits")).isEqualTo(before);
        // a job may name only keys its project has, well-formed, and not with concurrency limits
        RunFixture.assertError(q.post("/v1/jobs", Map.of("slug", "rl-unknown", "rate_limit_keys", List.of("nope"))),
                422, "validation_failed");
        RunFixture.assertError(q.post("/v1/jobs", Map.of("slug", "rl-malformed", "rate_limit_keys", List.of("a b"))),
                422, "validation_failed");
        assertThat(q.post("/v1/jobs", Map.of("slug", "rl-wrongtype", "rate_limit_keys", "x")).status()).isEqualTo(400);
        assertThat(limit("combo-key", 5, 1000).status()).isEqualTo(201);
        RunFixture.assertError(q.post("/v1/jobs", Map.of("slug", "rl-combo", "rate_limit_keys", List.of("combo-key"),
                "max_concurrency", 2)), 422, "validation_failed");
        assertThat(q.count("SELECT count(*) FROM jobs WHERE slug LIKE 'rl-%'")).isZero();
    }

    @Test
    void runsOverTheLimitStayQueuedWithTheirAttemptAndStartInTheNextWindow() {
        assertThat(limit("hourly", 2, 3_600_000).status()).isEqualTo(201);
        JsonNode job = q.job("rl-hourly", Map.of("rate_limit_keys", List.of("hourly")));
        assertThat(job.toString()).contains("\"rate_limit_keys\":[\"hourly\"]");
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(q.triggerId("rl-hourly"));
        }
        assertThat(q.claim("w1", "rl-hourly", 10, 60_000, 0)).hasSize(2);
        assertThat(q.claim("w1", "rl-hourly", 10, 60_000, 0)).isEmpty();
        assertThat(q.count("SELECT count(*) FROM runs WHERE job_slug = 'rl-hourly' AND status = 'queued' AND attempt = 0"))
                .isEqualTo(3);
        // runs of other jobs in the same queue are not held back by them
        q.job("rl-free", Map.of("queue", "rl-hourly"));
        String free = q.triggerId("rl-free");
        assertThat(q.claim("w1", "rl-hourly", 10, 60_000, 0)).extracting(r -> r.get("id").asText())
                .containsExactly(free);
        // raising the limit (same period) lets two more start in this window
        assertThat(limit("hourly", 4, 3_600_000).status()).isEqualTo(200);
        assertThat(q.claim("w1", "rl-hourly", 10, 60_000, 0)).hasSize(2);
        assertThat(q.claim("w1", "rl-hourly", 10, 60_000, 0)).isEmpty();
    }

    @Test
    void theNextWindowStartsTheRunsLeftOver() {
        try (TestServer clocked = TestServer.start(Map.of("DROVER_PUSH_ENABLED", "false"), clock)) {
            RunFixture c = new RunFixture(clocked);
            assertThat(c.post("/v1/rate-limits", Map.of("key", "minute", "limit", 3, "period_ms", 60_000)).status())
                    .isEqualTo(201);
            c.job("rl-minute", Map.of("rate_limit_keys", List.of("minute")));
            for (int i = 0; i < 7; i++) {
                c.triggerId("rl-minute");
            }
            // Align the test clock to the start of a window, then claim within it.
            long period = 60_000;
            long now = clock.instant().toEpochMilli();
            clock.advance(Duration.ofMillis(period - now % period + 1));
            assertThat(c.claim("w", "rl-minute", 10, 60_000, 0)).hasSize(3);
            assertThat(c.claim("w", "rl-minute", 10, 60_000, 0)).isEmpty();
            assertThat(c.count("SELECT count(*) FROM runs WHERE job_slug = 'rl-minute' AND status = 'queued' AND attempt = 0"))
                    .isEqualTo(4);
            clock.advance(Duration.ofMillis(period));
            assertThat(c.claim("w", "rl-minute", 10, 60_000, 0)).hasSize(3);
            assertThat(c.claim("w", "rl-minute", 10, 60_000, 0)).isEmpty();
            clock.advance(Duration.ofMillis(period));
            assertThat(c.claim("w", "rl-minute", 10, 60_000, 0)).hasSize(1);
            assertThat(c.count("SELECT count(*) FROM runs WHERE job_slug = 'rl-minute' AND attempt <> 1")).isZero();
        } finally {
            clock.reset();
        }
    }

    @Test
    void twoNodesAndManyWorkersNeverStartMoreThanTheLimitInAWindow() throws Exception {
        int limit = 4;
        long period = 250;
        int rated = 80;
        assertThat(limit("shared", limit, period).status()).isEqualTo(201);
        q.job("rl-a", Map.of("queue", "rl-shared", "rate_limit_keys", List.of("shared")));
        q.job("rl-b", Map.of("queue", "rl-shared", "rate_limit_keys", List.of("shared")));
        q.job("rl-plain", Map.of("queue", "rl-shared"));
        List<Map<String, ?>> batch = new ArrayList<>();
        for (int i = 0; i < rated / 2; i++) {
            batch.add(Map.of("payload", Map.of("n", i)));
        }
        q.triggerBatch("rl-a", batch);
        q.triggerBatch("rl-b", batch);
        q.triggerBatch("rl-plain", batch);
        int total = rated + batch.size();
        AtomicInteger done = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        try {
            List<Future<?>> workers = new ArrayList<>();
            for (int w = 0; w < 8; w++) {
                String worker = "rl-worker-" + w;
                Api api = new Api(w % 2 == 0 ? server : otherNode);
                workers.add(pool.submit(() -> {
                    while (done.get() < total && System.nanoTime() < deadline) {
                        Api.Answer claimed = api.post("/v1/worker/claim", Map.of("worker_id", worker,
                                "queues", List.of("rl-shared"), "max", 5, "wait_ms", 100));
                        assertThat(claimed.status()).as(claimed.text()).isEqualTo(200);
                        List<Map<String, Object>> results = new ArrayList<>();
                        for (JsonNode run : claimed.json().get("data")) {
                            results.add(Map.of("run_id", run.get("id").asText(), "result", Map.of()));
                        }
                        if (!results.isEmpty()) {
                            Api.Answer r = api.post("/v1/worker/complete", Map.of("worker_id", worker, "results", results));
                            assertThat(r.status()).as(r.text()).isEqualTo(200);
                            done.addAndGet(results.size());
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : workers) {
                f.get(90, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(done.get()).isEqualTo(total);
        // Every rated run started exactly once (attempt 1), and no window of the key saw more starts
        // than the limit: started_at is the claim's now(), the time its window was counted by.
        assertThat(q.count("SELECT count(*) FROM runs WHERE job_slug IN ('rl-a', 'rl-b') AND status = 'completed' "
                + "AND attempt = 1")).isEqualTo(rated);
        Map<Long, Integer> perWindow = server.db().read(c -> {
            Map<Long, Integer> out = new TreeMap<>();
            try (var ps = c.prepareStatement("SELECT floor(extract(epoch FROM started_at) * 1000 / ?)::bigint, count(*) "
                    + "FROM runs WHERE job_slug IN ('rl-a', 'rl-b') GROUP BY 1")) {
                ps.setLong(1, period);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.put(rs.getLong(1), rs.getInt(2));
                    }
                }
            }
            return out;
        });
        assertThat(perWindow.values()).allMatch(n -> n <= limit);
        assertThat(perWindow.size()).isGreaterThanOrEqualTo(rated / limit);
        assertThat(perWindow.values().stream().filter(n -> n == limit).count())
                .as("windows that used the whole limit: %s", perWindow).isGreaterThan(rated / limit / 2);
        // the claimed events agree: one claim per rated run
        assertThat(q.count("SELECT count(*) FROM run_events e JOIN runs r ON r.id = e.run_id "
                + "WHERE r.job_slug IN ('rl-a', 'rl-b') AND e.type = 'claimed'")).isEqualTo(rated);
    }

    @Test
    void thePushDispatcherCountsItsTakesAgainstTheLimitToo() throws Exception {
        com.sun.net.httpserver.HttpServer endpoint = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress("127.0.0.1", 0), 50);
        AtomicInteger requests = new AtomicInteger();
        endpoint.createContext("/ok", ex -> {
            try (ex) {
                ex.getRequestBody().readAllBytes();
                requests.incrementAndGet();
                byte[] body = "{\"ok\":true}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
                ex.getResponseHeaders().add("Content-Type", "application/json");
                ex.sendResponseHeaders(200, body.length);
                ex.getResponseBody().write(body);
            }
        });
        endpoint.start();
        String url = "http://127.0.0.1:" + endpoint.getAddress().getPort() + "/ok";
        try (TestServer pushing = TestServer.start(Map.of("DROVER_POLL_INTERVAL_MS", "50"))) {
            RunFixture p = new RunFixture(pushing);
            assertThat(p.post("/v1/rate-limits", Map.of("key", "push-hourly", "limit", 3, "period_ms", 3_600_000))
                    .status()).isEqualTo(201);
            p.job("rl-push", Map.of("execution", "http", "endpoint_url", url, "rate_limit_keys", List.of("push-hourly")));
            p.job("rl-push-free", Map.of("execution", "http", "endpoint_url", url));
            for (int i = 0; i < 8; i++) {
                p.triggerId("rl-push");
            }
            io.drover.testing.Await.until("three limited push runs completed", Duration.ofSeconds(30),
                    () -> p.count("SELECT count(*) FROM runs WHERE job_slug = 'rl-push' AND status = 'completed'") == 3);
            // a later run without keys goes through: the dispatcher took passes after the three
            String free = p.triggerId("rl-push-free");
            p.api.awaitStatus("/v1/runs/" + free, "completed");
            assertThat(p.count("SELECT count(*) FROM runs WHERE job_slug = 'rl-push' AND status = 'queued' AND attempt = 0"))
                    .isEqualTo(5);
            assertThat(p.count("SELECT count(*) FROM run_events e JOIN runs r ON r.id = e.run_id "
                    + "WHERE r.job_slug = 'rl-push' AND e.type = 'dequeued'")).isEqualTo(3);
            assertThat(requests.get()).isEqualTo(4);
        } finally {
            endpoint.stop(0);
        }
    }
}
