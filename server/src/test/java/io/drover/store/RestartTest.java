package io.drover.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.testing.Api;
import io.drover.testing.Await;
import io.drover.testing.Snapshot;
import io.drover.testing.TestServer;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Restarts: a graceful stop and start on the same database keeps everything; a {@code kill -9}
 * of a real server process (embedded PostgreSQL in its data folder) comes back on the same data,
 * stops the orphaned postmaster, and retries the attempts that died with it.
 */
class RestartTest {
    private static final String KEY = "restart-admin-key-0123456789abcdef";

    @Test
    void aServerStartedOnTheSameDatabaseKeepsEveryRunAndQueuedOnesAreClaimable() {
        String url;
        List<String> queued = new ArrayList<>();
        String executing;
        Snapshot before;
        try (TestServer first = TestServer.start()) {
            url = first.jdbcUrl();
            Api api = new Api(first);
            assertThat(api.post("/v1/jobs", Map.of("slug", "keep", "queue", "keepq")).status()).isEqualTo(201);
            var runs = api.post("/v1/jobs/keep/trigger/batch", Map.of("runs", List.of(Map.of("payload", 1),
                    Map.of("payload", 2), Map.of("payload", 3), Map.of("payload", 4), Map.of("payload", 5),
                    Map.of("delay_ms", 86_400_000)))).json().get("data");
            var claimed = api.post("/v1/worker/claim", Map.of("worker_id", "w-keep", "queues", List.of("keepq"),
                    "max", 2, "lease_ms", 600_000)).json().get("data");
            assertThat(claimed).hasSize(2);
            String done = claimed.get(0).get("id").asText();
            executing = claimed.get(1).get("id").asText();
            assertThat(api.post("/v1/runs/" + done + "/complete", Map.of("worker_id", "w-keep", "result", "ok"))
                    .status()).isEqualTo(200);
            String canceled = runs.get(4).get("id").asText();
            assertThat(api.post("/v1/runs/" + canceled + "/cancel", Map.of()).status()).isEqualTo(200);
            for (JsonNode r : runs) {
                String id = r.get("id").asText();
                if (!id.equals(done) && !id.equals(executing) && !id.equals(canceled) && r.get("status").asText()
                        .equals("queued")) {
                    queued.add(id);
                }
            }
            assertThat(queued).hasSize(2);
            before = Snapshot.of(first.db());
        }

        try (TestServer second = TestServer.startOn(url, Map.of())) {
            // A start with no user yet makes a new first-owner setup link: its token is shown once and
            // stored hashed, so a restart cannot show the previous one (the dashboard, V25).
            assertThat(Snapshot.of(second.db()).without("setup_tokens").diff(before.without("setup_tokens")))
                    .as("every row as it was").isEmpty();
            Api api = new Api(second);
            assertThat(api.get("/v1/runs?job=keep").json().get("data")).hasSize(6);
            var claimed = api.post("/v1/worker/claim", Map.of("worker_id", "w-new", "queues", List.of("keepq"),
                    "max", 10)).json().get("data");
            List<String> ids = new ArrayList<>();
            claimed.forEach(r -> ids.add(r.get("id").asText()));
            assertThat(ids).containsExactlyInAnyOrderElementsOf(queued);
            // the lease taken before the restart is still the worker's
            var done = api.post("/v1/runs/" + executing + "/complete", Map.of("worker_id", "w-keep"));
            assertThat(done.status()).as(done.text()).isEqualTo(200);
            assertThat(done.json().get("status").asText()).isEqualTo("completed");
        }
    }

    // ------------------------------------------------------------------------------ kill -9

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static Process startChild(Path dataDir, int port, String name) throws IOException {
        String java = ProcessHandle.current().info().command().orElseThrow();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"), "io.drover.Main", "server");
        pb.environment().keySet().removeIf(k -> k.startsWith("DROVER_"));
        pb.environment().put("DROVER_PORT", Integer.toString(port));
        pb.environment().put("DROVER_BIND", "127.0.0.1");
        pb.environment().put("DROVER_DATA_DIR", dataDir.toString());
        pb.environment().put("DROVER_ADMIN_API_KEY", KEY);
        pb.environment().put("DROVER_POLL_INTERVAL_MS", "200");
        pb.environment().put("DROVER_REAPER_INTERVAL_MS", "200");
        pb.environment().put("DROVER_DB_POOL_SIZE", "8");
        pb.redirectErrorStream(true);
        pb.redirectOutput(dataDir.resolve(name + ".log").toFile());
        return pb.start();
    }

    private static void awaitReady(Api api, Process process, Path log) {
        Await.until("the child server to be ready (log: " + log + ")", Duration.ofSeconds(180), () -> {
            if (!process.isAlive()) {
                throw new AssertionError("the child server exited with " + process.exitValue() + ":\n" + tail(log));
            }
            try {
                return api.get("/readyz").status() == 200;
            } catch (RuntimeException e) {
                return false; // not listening yet
            }
        });
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** Processes whose command line names the folder: the embedded PostgreSQL of that data dir. */
    private static List<ProcessHandle> postgresOf(Path dataDir) {
        String dir = dataDir.toString();
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(c -> c.contains(dir)).orElse(false))
                .filter(p -> p.info().command().map(c -> c.contains("postgres")).orElse(false))
                .toList();
    }

    @Test
    void aKilledServerComesBackOnItsDataAndRetriesTheAttemptsThatDied() throws Exception {
        Path dataDir = Files.createTempDirectory("drover-kill9-");
        List<Process> started = new ArrayList<>();
        try {
            int port = freePort();
            Process first = startChild(dataDir, port, "first");
            started.add(first);
            Api api = new Api("http://127.0.0.1:" + port, KEY);
            awaitReady(api, first, dataDir.resolve("first.log"));

            assertThat(api.post("/v1/jobs", Map.of("slug", "crashy", "queue", "crashq", "max_attempts", 3,
                    "retry", Map.of("strategy", "fixed", "initial_delay_ms", 100, "jitter", false))).status())
                    .isEqualTo(201);
            JsonNode runs = api.post("/v1/jobs/crashy/trigger/batch", Map.of("runs",
                    Collections.nCopies(10, Map.of()))).json().get("data");
            Set<String> all = new HashSet<>();
            runs.forEach(r -> all.add(r.get("id").asText()));
            assertThat(all).hasSize(10);
            JsonNode claimed = api.post("/v1/worker/claim", Map.of("worker_id", "doomed", "queues",
                    List.of("crashq"), "max", 4, "lease_ms", 2_000)).json().get("data");
            assertThat(claimed).hasSize(4);
            Set<String> dying = new HashSet<>();
            claimed.forEach(r -> dying.add(r.get("id").asText()));

            List<ProcessHandle> postgres = postgresOf(dataDir);
            assertThat(postgres).as("the embedded PostgreSQL of the child runs on its data dir").isNotEmpty();

            first.destroyForcibly(); // SIGKILL: no shutdown hook, no graceful stop of PostgreSQL
            assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(postgres.stream().filter(ProcessHandle::isAlive).count())
                    .as("PostgreSQL outlives the killed server (an orphan)").isPositive();

            int port2 = freePort();
            Process second = startChild(dataDir, port2, "second");
            started.add(second);
            Api api2 = new Api("http://127.0.0.1:" + port2, KEY);
            awaitReady(api2, second, dataDir.resolve("second.log"));
            assertThat(postgres).as("the orphaned PostgreSQL was stopped").noneMatch(ProcessHandle::isAlive);
            assertThat(postgresOf(dataDir)).as("a new PostgreSQL serves the data dir").isNotEmpty();

            // every run is still there
            Set<String> kept = new HashSet<>();
            api2.get("/v1/runs?job=crashy&limit=500").json().get("data").forEach(r -> kept.add(r.get("id").asText()));
            assertThat(kept).isEqualTo(all);

            // a new worker takes everything, including the retries of the attempts that died
            Map<String, Integer> completedAt = new HashMap<>();
            Await.until("all 10 runs completed", Duration.ofSeconds(60), () -> {
                JsonNode batch = api2.post("/v1/worker/claim", Map.of("worker_id", "survivor", "queues",
                        List.of("crashq"), "max", 10, "wait_ms", 1_000)).json().get("data");
                for (JsonNode r : batch) {
                    String id = r.get("id").asText();
                    var done = api2.post("/v1/runs/" + id + "/complete", Map.of("worker_id", "survivor"));
                    assertThat(done.status()).as(done.text()).isEqualTo(200);
                    completedAt.put(id, r.get("attempt").asInt());
                }
                return completedAt.size() == 10;
            });
            for (String id : all) {
                JsonNode run = api2.get("/v1/runs/" + id).json();
                assertThat(run.get("status").asText()).as(id).isEqualTo("completed");
                List<String> types = new ArrayList<>();
                api2.get("/v1/runs/" + id + "/events").json().get("data").forEach(e -> types.add(e.get("type").asText()));
                if (dying.contains(id)) {
                    assertThat(run.get("attempt").asInt()).as("retried once after the crash").isEqualTo(2);
                    assertThat(types).containsExactly("created", "claimed", "attempt_crashed", "promoted", "claimed",
                            "completed");
                } else {
                    assertThat(run.get("attempt").asInt()).isEqualTo(1);
                    assertThat(types).containsExactly("created", "claimed", "completed");
                }
            }
            JsonNode live = api2.get("/v1/runs?job=crashy&status=executing").json().get("data");
            assertThat(live).as("nothing stuck").isEmpty();
        } finally {
            for (Process p : started) {
                p.destroyForcibly();
                p.waitFor(30, TimeUnit.SECONDS);
            }
            for (ProcessHandle p : postgresOf(dataDir)) {
                p.destroyForcibly();
                p.onExit().get(30, TimeUnit.SECONDS);
            }
            try (Stream<Path> files = Files.walk(dataDir)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }
}
