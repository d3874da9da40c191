package io.drover.workflows;

import static io.drover.workflows.WorkflowTesting.*;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.testing.Api;
import io.drover.testing.Await;
import io.drover.testing.TestDatabase;
import io.drover.testing.TestServer;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A server process killed with SIGKILL in the middle of many workflow runs: after a restart every
 * run finishes correctly, and no step executes twice except where its lease expired (the worker
 * was mid-step when the server died, so the run crashed and was retried).
 */
class WorkflowCrashTest {

    @Test
    void kill9MidWorkflowThenEveryRunFinishes() throws Exception {
        String jdbc = TestDatabase.freshDatabase("WorkflowCrashTest");
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Process first = spawn(jdbc, port);
        Api api = new Api("http://127.0.0.1:" + port, TestServer.ADMIN_KEY);
        StepWorker worker = null;
        try {
            awaitReady(api);
            // attempts to spare: an attempt that was in flight when the server died crashes and is retried
            var created = api.post("/v1/jobs", Map.of("slug", "step", "queue", "crash", "max_attempts", 5,
                    "retry", Map.of("strategy", "fixed", "initial_delay_ms", 100)));
            assertThat(created.status()).as(created.text()).isEqualTo(201);
            List<Object> steps = new ArrayList<>();
            steps.add(Map.of("id", "s0", "job", "step", "payload", Map.of("i", 0)));
            List<String> fan = new ArrayList<>();
            for (int i = 1; i <= 6; i++) {
                steps.add(Map.of("id", "f" + i, "job", "step", "depends_on", List.of("s0"), "payload", Map.of("i", i)));
                fan.add("f" + i);
            }
            String prev = "join";
            steps.add(Map.of("id", "join", "job", "step", "depends_on", fan));
            steps.add(Map.of("id", "nap", "type", "sleep", "duration_secs", 1, "depends_on", List.of("join")));
            prev = "nap";
            for (int i = 1; i <= 8; i++) {
                steps.add(Map.of("id", "c" + i, "job", "step", "depends_on", List.of(prev)));
                prev = "c" + i;
            }
            workflow(api, Map.of("slug", "crashy", "steps", steps));
            worker = new StepWorker(api, "crash", run -> {
                try {
                    Thread.sleep(15);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return Map.of("ok", true);
            }, 2_000);
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                ids.add(trigger(api, "crashy", Map.of("n", i)));
            }
            StepWorker w = worker;
            Await.until("a third of the steps done", Duration.ofSeconds(60),
                    () -> w.executions.keySet().stream().filter(k -> k.contains("/")).count() > ids.size() * 16 / 3);
            first.destroyForcibly().waitFor(); // SIGKILL: no shutdown hook, no graceful stop
            Process second = spawn(jdbc, port);
            try {
                awaitReady(api);
                for (String id : ids) {
                    JsonNode run = awaitFinal(api, id);
                    assertThat(run.get("status").asText()).as(run.toString()).isEqualTo("completed");
                    for (JsonNode step : run.get("steps")) {
                        assertThat(step.get("status").asText()).isEqualTo("completed");
                        if (!step.get("type").asText().equals("job")) {
                            continue;
                        }
                        int executed = w.executions.get(id + "/" + step.get("step_id").asText()).get();
                        if (executed > 1) {
                            JsonNode jobRun = api.get("/v1/runs/" + step.get("run_id").asText()).json();
                            JsonNode events = api.get("/v1/runs/" + step.get("run_id").asText() + "/events").json();
                            assertThat(jobRun.get("attempt").asInt()).as("step ran twice without a lease expiry: "
                                    + events).isGreaterThan(1);
                            assertThat(events.toString()).contains("attempt_crashed");
                        }
                    }
                }
            } finally {
                worker.close();
                second.destroy();
                second.waitFor();
            }
        } finally {
            first.destroyForcibly();
        }
    }

    private static Process spawn(String jdbc, int port) throws IOException {
        String javaBin = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder pb = new ProcessBuilder(javaBin, "-cp", System.getProperty("java.class.path"), "io.drover.Main",
                "server");
        Map<String, String> env = pb.environment();
        env.put("DROVER_PORT", String.valueOf(port));
        env.put("DROVER_BIND", "127.0.0.1");
        env.put("DROVER_DATABASE_URL", jdbc + "?user=postgres");
        env.put("DROVER_ADMIN_API_KEY", TestServer.ADMIN_KEY);
        env.put("DROVER_SECRETS_KEY", TestServer.SECRETS_KEY);
        env.put("DROVER_POLL_INTERVAL_MS", "200");
        env.put("DROVER_REAPER_INTERVAL_MS", "100");
        env.put("DROVER_DATA_DIR", java.nio.file.Files.createTempDirectory("drover-crash").toString());
        pb.redirectErrorStream(true);
        pb.redirectOutput(File.createTempFile("drover-crash", ".log"));
        return pb.start();
    }

    private static void awaitReady(Api api) {
        Await.until("server ready", Duration.ofSeconds(60), () -> {
            try {
                return api.get("/readyz").status() == 200;
            } catch (RuntimeException e) {
                return false;
            }
        });
    }
}
