package io.drover.reliability;

import io.drover.testing.Api;
import io.drover.testing.Await;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A Drover server in its own OS process (a child JVM on this JVM's class path), so that it can be
 * killed with SIGKILL. Embedded mode keeps its PostgreSQL in {@code dataDir/pg}; with a database
 * URL it uses that PostgreSQL instead. Each start keeps the same port, so clients need no new address.
 */
final class ChildServer implements AutoCloseable {
    static final String KEY = "reliability-admin-key-0123456789abcdef";
    static final String SECRETS_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    private final String name;
    private final Path dataDir;
    private final String databaseUrl; // null: embedded
    private final Map<String, String> extraEnv;
    private final int port;
    private Process process;
    private int starts;

    ChildServer(String name, Path dataDir, String databaseUrl, Map<String, String> extraEnv) throws IOException {
        this.name = name;
        this.dataDir = dataDir;
        this.databaseUrl = databaseUrl;
        this.extraEnv = extraEnv;
        this.port = freePort();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    Api api() {
        return new Api(baseUrl(), KEY);
    }

    Path log() {
        return dataDir.resolve(name + "-" + starts + ".log");
    }

    /** Starts the process and waits until /readyz answers 200. */
    ChildServer start() throws IOException {
        starts++;
        String java = ProcessHandle.current().info().command().orElseThrow();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), "io.drover.Main", "server");
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("DROVER_"));
        env.put("DROVER_PORT", Integer.toString(port));
        env.put("DROVER_BIND", "127.0.0.1");
        env.put("DROVER_DATA_DIR", dataDir.toString());
        env.put("DROVER_ADMIN_API_KEY", KEY);
        env.put("DROVER_SECRETS_KEY", SECRETS_KEY);
        env.put("DROVER_POLL_INTERVAL_MS", "200");
        env.put("DROVER_REAPER_INTERVAL_MS", "200");
        env.put("DROVER_DB_POOL_SIZE", "12");
        env.put("DROVER_SHUTDOWN_GRACE_MS", "1000");
        if (databaseUrl != null) {
            env.put("DROVER_DATABASE_URL", databaseUrl);
        }
        env.putAll(extraEnv);
        pb.redirectErrorStream(true);
        pb.redirectOutput(log().toFile());
        process = pb.start();
        awaitReady(Duration.ofSeconds(180));
        return this;
    }

    void awaitReady(Duration timeout) {
        Api api = api();
        Process p = process;
        Await.until(name + " to be ready (log: " + log() + ")", timeout, () -> {
            if (!p.isAlive()) {
                throw new AssertionError(name + " exited with " + p.exitValue() + ":\n" + tail());
            }
            try {
                return api.get("/readyz").status() == 200;
            } catch (RuntimeException e) {
                return false;
            }
        });
    }

    boolean alive() {
        return process != null && process.isAlive();
    }

    long pid() {
        return process.pid();
    }

    /** SIGKILL: no shutdown hook runs, the embedded PostgreSQL (if any) is left orphaned. */
    void kill9() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new AssertionError(name + " did not die");
        }
    }

    String tail() {
        try {
            List<String> lines = Files.readAllLines(log());
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** The JDBC URL of the embedded PostgreSQL, read from its postmaster.pid (line 4 is the port). */
    String embeddedJdbcUrl() throws IOException {
        List<String> lines = Files.readAllLines(dataDir.resolve("pg").resolve("postmaster.pid"));
        return "jdbc:postgresql://127.0.0.1:" + lines.get(3).strip() + "/drover?user=postgres";
    }

    /** Processes whose command line names the data folder: the embedded PostgreSQL of this server. */
    List<ProcessHandle> postgresProcesses() {
        String dir = dataDir.toString();
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(c -> c.contains(dir)).orElse(false))
                .filter(p -> p.info().command().map(c -> c.contains("postgres")).orElse(false))
                .toList();
    }

    @Override
    public void close() {
        if (process != null) {
            process.destroyForcibly();
            try {
                process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (databaseUrl == null) {
            // the embedded PostgreSQL that this server started (ours only: matched by our data folder)
            for (ProcessHandle p : postgresProcesses()) {
                p.destroyForcibly();
                try {
                    p.onExit().get(30, TimeUnit.SECONDS);
                } catch (Exception e) {
                    // best effort
                }
            }
            // the database files are large; the logs beside them stay for a look after a failure
            try (var files = Files.walk(dataDir.resolve("pg"))) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            } catch (IOException e) {
                // already gone
            }
        }
    }

    static Map<String, String> env(String... kv) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }
}
