package io.drover.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.testing.Api;
import io.drover.testing.Await;
import io.drover.testing.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Two and three Drover server processes on one PostgreSQL database, each running the API and
 * every background service: claims never overlap while a lease holds, a schedule tick fires once,
 * and the reaper singleton works from one node at a time and carries on from another when the
 * nodes that held it die.
 */
class ManyNodesIT {

    /** Schedule ticks fired so far in the database at {@code url}. */
    static long firedTicks(String url) {
        try (Connection c = DriverManager.getConnection(url);
                PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM schedule_ticks WHERE outcome = 'fired'");
                ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    static List<ChildServer> startNodes(int n, String url, String tag) throws Exception {
        List<ChildServer> nodes = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Path dir = Files.createTempDirectory("drover-node-" + tag + "-" + i + "-");
            nodes.add(new ChildServer(tag + "-node" + i, dir, url, Map.of()).start());
        }
        return nodes;
    }

    static void closeAll(List<ChildServer> nodes) {
        nodes.forEach(ChildServer::close);
    }

    static String database(String hint) {
        return TestDatabase.freshDatabase(hint) + "?user=postgres";
    }

    @ParameterizedTest(name = "{0} nodes")
    @ValueSource(ints = {2, 3})
    void runsAreNeverClaimedTwiceWhileTheirLeaseHolds(int n) throws Exception {
        String url = database("claims" + n);
        List<ChildServer> nodes = startNodes(n, url, "claims" + n);
        try {
            Api api = nodes.get(0).api();
            assertThat(api.post("/v1/jobs", Map.of("slug", "shared", "queue", "sq")).status()).isEqualTo(201);
            int total = 3_000;
            for (int i = 0; i < total; i += 500) {
                assertThat(api.post("/v1/jobs/shared/trigger/batch", Map.of("runs",
                        Collections.nCopies(500, Map.of()))).status()).isEqualTo(201);
            }
            Map<String, List<String>> claims = new ConcurrentHashMap<>();
            ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
            AtomicBoolean stop = new AtomicBoolean();
            List<Thread> workers = new ArrayList<>();
            for (int k = 0; k < n * 3; k++) {
                ChildServer node = nodes.get(k % n);
                String worker = "w" + k;
                workers.add(Thread.ofPlatform().start(() -> {
                    Api a = node.api();
                    while (!stop.get()) {
                        var r = a.post("/v1/worker/claim", Map.of("worker_id", worker, "queues", List.of("sq"), "max",
                                20, "wait_ms", 200, "lease_ms", 120_000));
                        if (r.status() != 200) {
                            problems.add("claim " + r.status() + " " + r.text());
                            continue;
                        }
                        List<Map<String, Object>> results = new ArrayList<>();
                        for (JsonNode run : r.json().get("data")) {
                            String id = run.get("id").asText();
                            claims.computeIfAbsent(id, x -> Collections.synchronizedList(new ArrayList<>()))
                                    .add(worker + "@" + node.baseUrl() + "#" + run.get("attempt").asInt());
                            results.add(Map.of("run_id", id, "result", worker));
                        }
                        if (!results.isEmpty()) {
                            var done = a.post("/v1/worker/complete", Map.of("worker_id", worker, "results", results));
                            for (JsonNode item : done.json().get("data")) {
                                if (!item.get("ok").asBoolean()) {
                                    problems.add("report refused: " + item);
                                }
                            }
                        }
                    }
                }));
            }
            Await.until("all runs claimed", Duration.ofMinutes(3), () -> claims.size() == total);
            stop.set(true);
            for (Thread t : workers) {
                t.join();
            }
            assertThat(problems).isEmpty();
            List<String> twice = claims.entrySet().stream().filter(e -> e.getValue().size() != 1)
                    .map(e -> e.getKey() + " " + e.getValue()).toList();
            assertThat(twice).as("runs claimed more than once").isEmpty();
            try (Connection c = DriverManager.getConnection(url); PreparedStatement ps = c.prepareStatement(
                    "SELECT count(*) FILTER (WHERE status = 'completed' AND attempt = 1), "
                            + "(SELECT count(*) FROM run_events WHERE type = 'claimed') FROM runs")) {
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    assertThat(rs.getLong(1)).as("completed on the first attempt").isEqualTo(total);
                    assertThat(rs.getLong(2)).as("one claim event per run").isEqualTo(total);
                }
            }
            System.out.println("RELIABILITY many-nodes n=" + n + " runs=" + total + " claimed_twice=0");
        } finally {
            closeAll(nodes);
        }
    }

    @Test
    void eachScheduleTickFiresOnceOnThreeNodes() throws Exception {
        String url = database("ticks");
        List<ChildServer> nodes = startNodes(3, url, "ticks");
        try {
            Api api = nodes.get(1).api();
            assertThat(api.post("/v1/jobs", Map.of("slug", "every-second", "queue", "tq",
                    "schedule", Map.of("interval_secs", 1))).status()).isEqualTo(201);
            Await.until("six ticks fired", Duration.ofSeconds(60), () -> firedTicks(url) >= 6);
            try (Connection c = DriverManager.getConnection(url)) {
                try (PreparedStatement ps = c.prepareStatement("SELECT count(*), count(DISTINCT run_id), "
                        + "min(fire_at), max(fire_at) FROM schedule_ticks WHERE outcome = 'fired'");
                        ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    long ticks = rs.getLong(1);
                    assertThat(ticks).as("about one tick a second").isGreaterThanOrEqualTo(5);
                    assertThat(rs.getLong(2)).as("one run per tick").isEqualTo(ticks);
                    Instant first = rs.getTimestamp(3).toInstant();
                    Instant last = rs.getTimestamp(4).toInstant();
                    assertThat(Duration.between(first, last).toSeconds()).as("no tick missing or doubled")
                            .isEqualTo(ticks - 1);
                }
                try (PreparedStatement ps = c.prepareStatement("SELECT (SELECT count(*) FROM runs WHERE schedule_id "
                        + "IS NOT NULL), (SELECT count(*) FROM schedule_ticks WHERE outcome = 'fired')");
                        ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    assertThat(rs.getLong(1)).as("runs made by the schedule = ticks fired").isEqualTo(rs.getLong(2));
                    System.out.println("RELIABILITY many-nodes schedule ticks=" + rs.getLong(2) + " runs="
                            + rs.getLong(1) + " on 3 nodes");
                }
            }
        } finally {
            closeAll(nodes);
        }
    }

    /** drover_runs_reaped of one node (0 when it cannot be read). */
    static double reaped(ChildServer node) {
        try {
            for (String line : node.api().get("/metrics").text().split("\n")) {
                if (line.startsWith("drover_runs_reaped")) {
                    return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
        } catch (RuntimeException e) {
            // dead node
        }
        return 0;
    }

    static long crashedEvents(String url) throws Exception {
        try (Connection c = DriverManager.getConnection(url); PreparedStatement ps = c.prepareStatement(
                "SELECT count(*), count(DISTINCT (run_id, attempt)) FROM run_events WHERE type = 'attempt_crashed'");
                ResultSet rs = ps.executeQuery()) {
            rs.next();
            assertThat(rs.getLong(1)).as("no attempt reaped twice").isEqualTo(rs.getLong(2));
            return rs.getLong(1);
        }
    }

    @Test
    void theReaperRunsOnOneNodeAtATimeAndMovesWhenItsNodeDies() throws Exception {
        String url = database("reaper");
        List<ChildServer> nodes = startNodes(3, url, "reaper");
        try {
            Api api = nodes.get(0).api();
            assertThat(api.post("/v1/jobs", Map.of("slug", "lost", "queue", "lq", "max_attempts", 5,
                    "retry", Map.of("strategy", "fixed", "initial_delay_ms", 60_000))).status()).isEqualTo(201);
            long expected = 0;
            List<ChildServer> alive = new ArrayList<>(nodes);
            for (int round = 0; round < 3; round++) {
                Api a = alive.get(0).api();
                assertThat(a.post("/v1/jobs/lost/trigger/batch", Map.of("runs", Collections.nCopies(40, Map.of())))
                        .status()).isEqualTo(201);
                // claimed by a worker that dies at once: 40 leases of 1 s that nobody renews
                var claimed = a.post("/v1/worker/claim", Map.of("worker_id", "doomed" + round, "queues",
                        List.of("lq"), "max", 40, "lease_ms", 1_000)).json().get("data");
                assertThat(claimed).hasSize(40);
                expected += 40;
                long want = expected;
                Await.until("round " + round + ": the dead worker's leases reaped", Duration.ofSeconds(60),
                        () -> {
                            try {
                                return crashedEvents(url) == want;
                            } catch (Exception e) {
                                throw new AssertionError(e);
                            }
                        });
                double sum = 0;
                StringBuilder who = new StringBuilder();
                for (ChildServer node : alive) {
                    double r = reaped(node);
                    sum += r;
                    who.append(node.baseUrl()).append('=').append((long) r).append(' ');
                }
                System.out.println("RELIABILITY many-nodes reaper round " + round + " alive=" + alive.size()
                        + " reaped per node: " + who);
                if (round == 0) {
                    assertThat(sum).as("each lease reaped once, across all nodes").isEqualTo(40);
                }
                assertThat(crashedEvents(url)).isEqualTo(expected);
                if (round < 2) {
                    // kill the node that did the most reaping: the singleton must carry on elsewhere
                    ChildServer busiest = alive.stream().max(java.util.Comparator.comparingDouble(ManyNodesIT::reaped))
                            .orElseThrow();
                    busiest.kill9();
                    alive.remove(busiest);
                }
            }
            assertThat(alive).hasSize(1);
            assertThat(reaped(alive.get(0))).as("the last node reaped after the others died").isPositive();
        } finally {
            closeAll(nodes);
        }
    }
}
