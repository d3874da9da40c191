package io.drover.bench.peers;

import io.drover.DroverServer;
import io.drover.config.Config;
import io.drover.store.EmbeddedDatabase;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;

/**
 * The Drover that "&lt;peer&gt;+agent" contenders report to: a node in the parent JVM on its own
 * database of the benchmark's PostgreSQL (so its work competes for the same two cores, as a
 * colocated Drover would), with one registered agent per contender.
 */
final class AgentReceiver implements AutoCloseable {
    private static final String KEY = "bench-admin-key-0123456789abcdef";
    private final DroverServer server;
    private final String jdbcUrl;
    private final HttpClient http = HttpClient.newHttpClient();

    private AgentReceiver(DroverServer server, String jdbcUrl) {
        this.server = server;
        this.jdbcUrl = jdbcUrl;
    }

    static AgentReceiver start(EmbeddedDatabase pg, Path dir) throws Exception {
        try (Connection c = pg.adminConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE agent_receiver");
        }
        String url = "jdbc:postgresql://127.0.0.1:" + pg.port() + "/agent_receiver";
        Map<String, String> env = new HashMap<>();
        env.put("DROVER_PORT", "0");
        env.put("DROVER_BIND", "127.0.0.1");
        env.put("DROVER_DATA_DIR", Files.createDirectories(dir.resolve("agent-receiver")).toString());
        env.put("DROVER_DATABASE_URL", url + "?user=postgres");
        env.put("DROVER_ADMIN_API_KEY", KEY);
        env.put("DROVER_SECRETS_KEY", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
        return new AgentReceiver(DroverServer.start(Config.fromEnv(env)), url);
    }

    String url() {
        return "http://127.0.0.1:" + server.port();
    }

    /** Registers an agent named after the contender; returns its token. */
    String register(String name) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(url() + "/v1/agents"))
                .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"" + name + "\"}")).build();
        HttpResponse<String> res = http.send(req, HttpResponse.BodyHandlers.ofString());
        if (res.statusCode() != 201) {
            throw new IllegalStateException("could not register agent " + name + ": " + res.statusCode() + " " + res.body());
        }
        String body = res.body();
        int i = body.indexOf("\"token\":\"") + 9;
        return body.substring(i, body.indexOf('"', i));
    }

    /** Task events Drover accepted from the contender's agent (all its workloads together). */
    long events(String name) throws Exception {
        try (Connection c = DriverManager.getConnection(jdbcUrl, "postgres", "");
                var ps = c.prepareStatement("SELECT count(*) FROM agent_task_events e JOIN agents a ON a.id = e.agent_id "
                        + "WHERE a.name = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    @Override
    public void close() {
        server.close();
    }
}
