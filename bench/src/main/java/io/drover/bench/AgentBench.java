package io.drover.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The agent targets of issue 20, against one in-process node on the harness's durable PostgreSQL.
 *
 * <p>Liveness: {@code --agents} simulated agents say hello and heartbeat every {@code --heartbeat-ms}
 * (time-compressed: 2000 ms stands for the default 10 s, five times the load) for {@code --window}
 * seconds, measuring the CPU of the machine, this JVM (server and simulated agents together) and
 * PostgreSQL, and the liveness pass's own duration. Then {@code --stop} of them stop; a watcher
 * reads their states every 50 ms and records when each was seen offline: the delay after its
 * {@code offline_at} (last heartbeat + 3 intervals) must stay within 2 intervals.
 *
 * <p>Ingest: {@code --ingest-agents} agents send frames of {@code --frame} task events (a task's
 * sent, started and succeeded) as fast as they are answered, for {@code --window} seconds; the
 * accepted events per minute (target 100,000).
 */
public final class AgentBench {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
            .executor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()).build();

    public static void main(String[] args) throws Exception {
        Path root = Path.of(".");
        String command = "./bench/agents";
        int agents = 1000;
        long heartbeatMs = 2000;
        int windowSecs = 30;
        int stop = 100;
        int ingestAgents = 50;
        int frame = 500;
        Path out = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--root" -> root = Path.of(args[++i]);
                case "--command" -> command = args[++i];
                case "--agents" -> agents = Integer.parseInt(args[++i]);
                case "--heartbeat-ms" -> heartbeatMs = Long.parseLong(args[++i]);
                case "--window" -> windowSecs = Integer.parseInt(args[++i]);
                case "--stop" -> stop = Integer.parseInt(args[++i]);
                case "--ingest-agents" -> ingestAgents = Integer.parseInt(args[++i]);
                case "--frame" -> frame = Integer.parseInt(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                case "--help" -> {
                    System.out.println("""
                            ./bench/agents [--agents 1000] [--heartbeat-ms 2000] [--window 30] [--stop 100] \
                            [--ingest-agents 50] [--frame 500] [--out bench/results/agents-latest.md]""");
                    return;
                }
                default -> throw new IllegalArgumentException("unknown option " + args[i] + " (--help lists them)");
            }
        }
        if (out == null) {
            out = root.resolve("bench/results/agents-latest.md");
        }
        StringBuilder report = new StringBuilder("# Agents benchmark\n\n`" + command + "` on "
                + Instant.now() + ", " + Runtime.getRuntime().availableProcessors() + " cores\n\n");
        try (Harness h = Harness.start();
                Harness.Node node = h.node("agents", Map.of("DROVER_AGENT_HEARTBEAT_MS", Long.toString(heartbeatMs)))) {
            String base = "http://127.0.0.1:" + node.server.port();
            report.append(liveness(h, node, base, agents, heartbeatMs, windowSecs, stop));
            report.append(ingest(h, node, base, ingestAgents, frame, windowSecs));
        }
        Files.createDirectories(out.getParent());
        Files.writeString(out, report.toString());
        System.out.println(report);
        System.out.println("written to " + out);
    }

    private static String liveness(Harness h, Harness.Node node, String base, int n, long heartbeatMs, int windowSecs,
            int stop) throws Exception {
        List<String[]> made = register(base, "live", n); // {id, token}
        for (String[] a : made) {
            send(base, a[1], "/v1/agent/hello", Map.of("protocol_version", 1, "framework", "bench"));
        }
        AtomicBoolean running = new AtomicBoolean(true);
        Map<String, Boolean> stopped = new ConcurrentHashMap<>();
        AtomicLong beats = new AtomicLong();
        AtomicLong failures = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (String[] a : made) {
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    Thread.sleep((long) (Math.random() * heartbeatMs)); // spread over the interval
                    while (running.get() && !stopped.containsKey(a[0])) {
                        long t = System.nanoTime();
                        try {
                            send(base, a[1], "/v1/agent/heartbeat", Map.of("error_rate", 0.0, "active_tasks", 1));
                            beats.incrementAndGet();
                        } catch (RuntimeException e) {
                            failures.incrementAndGet();
                        }
                        Thread.sleep(Math.max(0, heartbeatMs - (System.nanoTime() - t) / 1_000_000));
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
        }
        Thread.sleep(heartbeatMs); // every agent has sent its first heartbeat
        CpuMeter cpu = new CpuMeter(h.pgDataDir());
        long passNanos0 = passNanos(node);
        long passes0 = passes(node);
        long beats0 = beats.get();
        CpuMeter.Sample s0 = cpu.sample();
        Thread.sleep(windowSecs * 1000L);
        CpuMeter.Sample s1 = cpu.sample();
        double rate = (beats.get() - beats0) / (windowSecs * 1.0);
        long passes = passes(node) - passes0;
        double passMs = passes == 0 ? Double.NaN : (passNanos(node) - passNanos0) / 1e6 / passes;
        CpuMeter.Usage usage = CpuMeter.between(s0, s1);
        long online = count(node, "SELECT count(*) FROM agents WHERE state = 'online'");

        // stop some: each must be found offline within 2 intervals after its offline_at
        List<String> victims = new ArrayList<>();
        for (int i = 0; i < stop; i++) {
            victims.add(made.get(i * (n / stop))[0]);
        }
        Map<String, Instant> seenOffline = new ConcurrentHashMap<>();
        victims.forEach(v -> stopped.put(v, true));
        Instant stoppedAt = Instant.now();
        long deadline = System.nanoTime() + (5 * heartbeatMs + 10_000) * 1_000_000L;
        Map<String, Instant> offlineAt = new HashMap<>();
        while (seenOffline.size() < victims.size() && System.nanoTime() < deadline) {
            try (Connection c = node.connection(); PreparedStatement ps = c.prepareStatement(
                    "SELECT id::text, state, offline_at FROM agents WHERE id = ANY (?::uuid[])")) {
                ps.setArray(1, c.createArrayOf("text", victims.toArray()));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        if (rs.getString(2).equals("offline") && !seenOffline.containsKey(rs.getString(1))) {
                            seenOffline.put(rs.getString(1), Instant.now());
                            offlineAt.put(rs.getString(1), rs.getTimestamp(3).toInstant());
                        }
                    }
                }
            }
            Thread.sleep(50);
        }
        running.set(false);
        for (Thread t : threads) {
            t.join();
        }
        List<Double> delays = new ArrayList<>();
        seenOffline.forEach((id, seen) -> delays.add(Duration.between(offlineAt.get(id), seen).toMillis() * 1.0));
        Stats d = Stats.of(delays.isEmpty() ? List.of(Double.NaN) : delays);
        long falseOffline = count(node, "SELECT count(*) FROM log_events WHERE type = 'agent.offline'")
                - seenOffline.size();
        String text = """
                ## Liveness: %,d agents heartbeating every %d ms (the default is 10000: %.1fx the load)

                - heartbeats answered: %.0f/s over %d s (%,d failed); agents online before the stop: %,d
                - CPU over the window: %s
                - liveness pass: %,d passes, %.2f ms each on average (one index range scan, nothing due)
                - %d agents stopped at %s: found offline %d of %d; delay after offline_at (last heartbeat + 3 \
                intervals): p50 %.0f ms, p99 %.0f ms, max %.0f ms; target: within 2 intervals (%d ms) -> %s
                - agents marked offline that were heartbeating: %d

                """.formatted(n, heartbeatMs, 10_000.0 / heartbeatMs, rate, windowSecs, failures.get(), online,
                usage.describe(), passes, passMs, stop, stoppedAt, seenOffline.size(), victims.size(), d.p50(),
                d.p99(), d.max(), 2 * heartbeatMs,
                seenOffline.size() == victims.size() && d.max() <= 2 * heartbeatMs ? "met" : "NOT met", falseOffline);
        System.out.print(text);
        return text;
    }

    private static String ingest(Harness h, Harness.Node node, String base, int n, int frame, int windowSecs)
            throws Exception {
        List<String[]> made = register(base, "ingest", n);
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong accepted = new AtomicLong();
        AtomicLong frames = new AtomicLong();
        AtomicLong failures = new AtomicLong();
        List<Double> frameMs = java.util.Collections.synchronizedList(new ArrayList<>());
        CountDownLatch done = new CountDownLatch(n);
        CpuMeter cpu = new CpuMeter(h.pgDataDir());
        CpuMeter.Sample s0 = cpu.sample();
        long t0 = System.nanoTime();
        for (String[] a : made) {
            Thread.ofVirtual().start(() -> {
                long seq = 0;
                long task = 0;
                try {
                    while (running.get()) {
                        List<Map<String, Object>> events = new ArrayList<>(frame);
                        while (events.size() < frame) {
                            task++;
                            for (String type : List.of("task_sent", "task_started", "task_succeeded")) {
                                Map<String, Object> e = new LinkedHashMap<>();
                                e.put("seq", ++seq);
                                e.put("type", type);
                                e.put("ts", Instant.now().toString());
                                e.put("task", Map.of("external_id", "t-" + task, "engine", "quartz",
                                        "name", "report.job" + (task % 20), "queue", "default",
                                        "args", List.of(task, "x"), "kwargs", Map.of("k", task)));
                                events.add(e);
                            }
                        }
                        long t = System.nanoTime();
                        try {
                            JsonNode r = send(base, a[1], "/v1/agent/events", Map.of("events", events));
                            accepted.addAndGet(r.get("accepted").asLong());
                            frames.incrementAndGet();
                            frameMs.add((System.nanoTime() - t) / 1e6);
                        } catch (RuntimeException e) {
                            failures.incrementAndGet();
                        }
                    }
                } finally {
                    done.countDown();
                }
            });
        }
        Thread.sleep(windowSecs * 1000L);
        running.set(false);
        done.await();
        double secs = (System.nanoTime() - t0) / 1e9;
        CpuMeter.Sample s1 = cpu.sample();
        double perMin = accepted.get() / secs * 60;
        Stats f = Stats.of(frameMs.isEmpty() ? List.of(Double.NaN) : new ArrayList<>(frameMs));
        long tasks = count(node, "SELECT count(*) FROM agent_tasks");
        String text = """
                ## Ingest: %d agents sending frames of %d task events

                - accepted %,d events in %.1f s: %,.0f events/min (target 100,000) -> %s; %,d frames (%,d failed), \
                frame p50 %.0f ms, p99 %.0f ms; %,d tasks stored
                - CPU: %s

                """.formatted(n, frame, accepted.get(), secs, perMin, perMin >= 100_000 ? "met" : "NOT met",
                frames.get(), failures.get(), f.p50(), f.p99(), tasks, CpuMeter.between(s0, s1).describe());
        System.out.print(text);
        return text;
    }

    private static List<String[]> register(String base, String prefix, int n) {
        List<String[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            JsonNode a = send(base, Harness.ADMIN_KEY, "/v1/agents", Map.of("name", prefix + "-" + i));
            out.add(new String[] {a.get("id").asText(), a.get("token").asText()});
        }
        return out;
    }

    private static JsonNode send(String base, String token, String path, Object body) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + path))
                    .timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + token)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() >= 300) {
                throw new IllegalStateException(path + " answered " + r.statusCode() + ": " + r.body());
            }
            return JSON.readTree(r.body());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static long count(Harness.Node node, String sql) throws Exception {
        try (Connection c = node.connection(); var s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static long passNanos(Harness.Node node) {
        return node.server.agentLiveness().passNanos();
    }

    private static long passes(Harness.Node node) {
        return node.server.agentLiveness().passes();
    }
}
