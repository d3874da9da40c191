package io.drover.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The load test of docs/reliability.md: N concurrent API clients (default 200) for D seconds
 * (default 60) against a Drover server started as its own process (embedded PostgreSQL in a temp
 * folder), each client looping over a mix of triggers, batch triggers, reads, lists, claims and
 * completions. Prints per-endpoint counts, errors and latency percentiles, and the server's heap
 * (after a full GC, through jcmd) and RSS before and after.
 *
 * <pre>bench/load [--clients 200] [--seconds 60] [--out file.md]</pre>
 */
public final class Load {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = "load-admin-key-0123456789abcdef";

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;
    private final Map<String, Stats> stats = new ConcurrentHashMap<>();

    Load(String base) {
        this.base = base;
    }

    /** Latencies of one endpoint, in microseconds, plus errors by status. */
    static final class Stats {
        private long[] micros = new long[1 << 16];
        private int n;
        final Map<String, AtomicLong> errors = new ConcurrentHashMap<>();

        synchronized void add(long us) {
            if (n == micros.length) {
                micros = Arrays.copyOf(micros, n * 2);
            }
            micros[n++] = us;
        }

        synchronized long[] sorted() {
            long[] s = Arrays.copyOf(micros, n);
            Arrays.sort(s);
            return s;
        }
    }

    record Answer(int status, JsonNode json) {}

    Answer call(String endpoint, String method, String path, Object body) {
        long t = System.nanoTime();
        Stats s = stats.computeIfAbsent(endpoint, k -> new Stats());
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
                    .header("Authorization", "Bearer " + KEY);
            if (body != null) {
                b.header("Content-Type", "application/json")
                        .method(method, HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
            } else {
                b.method(method, HttpRequest.BodyPublishers.noBody());
            }
            HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            s.add((System.nanoTime() - t) / 1_000);
            if (r.statusCode() >= 300) {
                s.errors.computeIfAbsent(Integer.toString(r.statusCode()), k -> new AtomicLong()).incrementAndGet();
                return new Answer(r.statusCode(), null);
            }
            return new Answer(r.statusCode(), JSON.readTree(r.body()));
        } catch (IOException e) {
            s.add((System.nanoTime() - t) / 1_000);
            s.errors.computeIfAbsent(e.getClass().getSimpleName(), k -> new AtomicLong()).incrementAndGet();
            return new Answer(0, null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Answer(0, null);
        }
    }

    /** One client: a weighted mix of what API users and workers do. */
    void client(int id, long until, List<String> recent) {
        String worker = "load-w" + id;
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        while (System.nanoTime() < until) {
            int p = rnd.nextInt(100);
            if (p < 25) {
                Answer a = call("POST /v1/jobs/{job}/trigger", "POST", "/v1/jobs/load/trigger",
                        Map.of("payload", Map.of("n", rnd.nextInt()), "metadata", Map.of("client", id)));
                if (a.json() != null) {
                    synchronized (recent) {
                        if (recent.size() < 1000) {
                            recent.add(a.json().get("id").asText());
                        } else {
                            recent.set(rnd.nextInt(recent.size()), a.json().get("id").asText());
                        }
                    }
                }
            } else if (p < 30) {
                List<Map<String, Object>> runs = new ArrayList<>();
                for (int i = 0; i < 20; i++) {
                    runs.add(Map.of("payload", Map.of("i", i)));
                }
                call("POST /v1/jobs/{job}/trigger/batch", "POST", "/v1/jobs/load/trigger/batch", Map.of("runs", runs));
            } else if (p < 50) {
                String run;
                synchronized (recent) {
                    run = recent.isEmpty() ? null : recent.get(rnd.nextInt(recent.size()));
                }
                if (run != null) {
                    call("GET /v1/runs/{id}", "GET", "/v1/runs/" + run, null);
                }
            } else if (p < 58) {
                call("GET /v1/runs", "GET", "/v1/runs?job=load&limit=50", null);
            } else if (p < 62) {
                String run;
                synchronized (recent) {
                    run = recent.isEmpty() ? null : recent.get(rnd.nextInt(recent.size()));
                }
                if (run != null) {
                    call("GET /v1/runs/{id}/events", "GET", "/v1/runs/" + run + "/events", null);
                }
            } else if (p < 65) {
                call("GET /v1/jobs/{job}", "GET", "/v1/jobs/load", null);
            } else {
                Answer claimed = call("POST /v1/worker/claim", "POST", "/v1/worker/claim", Map.of("worker_id", worker,
                        "queues", List.of("loadq"), "max", 10, "wait_ms", 0, "lease_ms", 30_000));
                if (claimed.json() == null || claimed.json().get("data").isEmpty()) {
                    continue;
                }
                List<Map<String, Object>> results = new ArrayList<>();
                for (JsonNode r : claimed.json().get("data")) {
                    results.add(Map.of("run_id", r.get("id").asText(), "result", Map.of("ok", true)));
                }
                if (rnd.nextInt(4) == 0) {
                    // some workers complete one by one
                    for (Map<String, Object> r : results) {
                        call("POST /v1/runs/{id}/complete", "POST", "/v1/runs/" + r.get("run_id") + "/complete",
                                Map.of("worker_id", worker, "result", r.get("result")));
                    }
                } else {
                    call("POST /v1/worker/complete", "POST", "/v1/worker/complete", Map.of("worker_id", worker,
                            "results", results));
                }
            }
        }
    }

    // ------------------------------------------------------------------------------ the server process

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static long rssKb(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    /** Heap in use after a full GC (jcmd GC.run), in MiB, from the server's own jvm_memory_used_bytes. */
    long heapAfterGcMb(long pid) throws Exception {
        String javaBin = ProcessHandle.current().info().command().orElseThrow();
        run(Path.of(javaBin).resolveSibling("jcmd").toString(), Long.toString(pid), "GC.run");
        String metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        double bytes = 0;
        for (String line : metrics.split("\n")) {
            if (line.startsWith("jvm_memory_used_bytes{") && line.contains("area=\"heap\"")) {
                bytes += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return (long) (bytes / (1024 * 1024));
    }

    static String run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor(60, TimeUnit.SECONDS);
        return out;
    }

    public static void main(String[] args) throws Exception {
        int clients = 200;
        int seconds = 60;
        Path out = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--clients" -> clients = Integer.parseInt(args[++i]);
                case "--seconds" -> seconds = Integer.parseInt(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("usage: bench/load [--clients N] [--seconds S] [--out F]");
            }
        }
        Path dir = Files.createTempDirectory("drover-load-");
        int port = freePort();
        String java = ProcessHandle.current().info().command().orElseThrow();
        String heap = System.getProperty("drover.load.xmx", "1g");
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx" + heap, "-cp", System.getProperty("java.class.path"),
                "io.drover.Main", "server");
        pb.environment().keySet().removeIf(k -> k.startsWith("DROVER_"));
        pb.environment().put("DROVER_PORT", Integer.toString(port));
        pb.environment().put("DROVER_BIND", "127.0.0.1");
        pb.environment().put("DROVER_DATA_DIR", dir.toString());
        pb.environment().put("DROVER_ADMIN_API_KEY", KEY);
        pb.redirectErrorStream(true).redirectOutput(dir.resolve("server.log").toFile());
        Process server = pb.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.destroy();
            try {
                server.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
        Load load = new Load("http://127.0.0.1:" + port);
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (true) {
            if (!server.isAlive()) {
                throw new IllegalStateException("server exited; see " + dir.resolve("server.log"));
            }
            try {
                if (load.http.send(HttpRequest.newBuilder(URI.create(load.base + "/readyz")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    break;
                }
            } catch (IOException e) {
                // not yet
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("server not ready; see " + dir.resolve("server.log"));
            }
            Thread.sleep(200);
        }
        load.call("setup", "POST", "/v1/jobs", Map.of("slug", "load", "queue", "loadq", "max_attempts", 3));
        // warm-up, so that "before" is a server that has served (JIT, pools, prepared statements)
        List<String> recent = new ArrayList<>();
        long warm = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        List<Thread> ts = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            int id = i;
            ts.add(Thread.ofVirtual().start(() -> load.client(id, warm, recent)));
        }
        for (Thread t : ts) {
            t.join();
        }
        load.stats.clear();
        long heapBefore = load.heapAfterGcMb(server.pid());
        long rssBefore = rssKb(server.pid()) / 1024;

        System.out.printf("load: %d clients for %d s against %s (server pid %d, -Xmx%s)%n", clients, seconds,
                load.base, server.pid(), heap);
        long t0 = System.nanoTime();
        long until = t0 + TimeUnit.SECONDS.toNanos(seconds);
        ts.clear();
        for (int i = 0; i < clients; i++) {
            int id = i;
            ts.add(Thread.ofPlatform().name("client-" + i).start(() -> load.client(id, until, recent)));
        }
        for (Thread t : ts) {
            t.join();
        }
        double elapsed = (System.nanoTime() - t0) / 1e9;
        long rssAfterLoad = rssKb(server.pid()) / 1024;
        long heapAfter = load.heapAfterGcMb(server.pid());
        long rssAfter = rssKb(server.pid()) / 1024;

        StringBuilder sb = new StringBuilder();
        String loadAvg = Files.readString(Path.of("/proc/loadavg")).strip();
        sb.append(String.format("%d clients, %d s, %s, %d cores (load average at the end: %s), java %s%n%n", clients,
                seconds, Instant.now(), Runtime.getRuntime().availableProcessors(), loadAvg,
                System.getProperty("java.version")));
        sb.append("| endpoint | requests | req/s | errors | p50 ms | p95 ms | p99 ms | max ms |\n");
        sb.append("|---|---:|---:|---:|---:|---:|---:|---:|\n");
        long total = 0;
        long errors = 0;
        for (var e : new TreeMap<>(load.stats).entrySet()) {
            long[] s = e.getValue().sorted();
            if (s.length == 0) {
                continue;
            }
            long err = e.getValue().errors.values().stream().mapToLong(AtomicLong::get).sum();
            total += s.length;
            errors += err;
            sb.append(String.format("| %s | %d | %.0f | %d%s | %.1f | %.1f | %.1f | %.1f |%n", e.getKey(), s.length,
                    s.length / elapsed, err, err == 0 ? "" : " " + e.getValue().errors, pct(s, 50), pct(s, 95),
                    pct(s, 99), s[s.length - 1] / 1000.0));
        }
        sb.append(String.format("| **all** | %d | %.0f | %d | | | | |%n%n", total, total / elapsed, errors));
        sb.append(String.format("Server memory: heap after full GC %d MiB before, %d MiB after; RSS %d MiB before, "
                + "%d MiB at the end of the load, %d MiB after the GC.%n", heapBefore, heapAfter, rssBefore,
                rssAfterLoad, rssAfter));
        System.out.print(sb);
        if (out != null) {
            Files.writeString(out, sb.toString());
        }
        server.destroy();
        server.waitFor(30, TimeUnit.SECONDS);
        try (var files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
        System.exit(errors == 0 ? 0 : 1);
    }

    static double pct(long[] sorted, int p) {
        int i = (int) Math.min(sorted.length - 1, Math.ceil(p / 100.0 * sorted.length) - 1);
        return sorted[Math.max(0, i)] / 1000.0;
    }
}
