package io.drover.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.store.DbException;
import io.drover.testing.Api;
import io.drover.testing.Await;
import io.drover.testing.Snapshot;
import io.drover.testing.TestServer;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The HTTP layer's protections: per-key rate limiting (429 with Retry-After), slow and half-open
 * clients cut off by the idle timeout without holding up anyone else, and a database that went
 * away answered as 503 (retry) rather than 500.
 */
class LimitsTest {

    @Test
    void aKeyOverItsRateIsAnswered429WithRetryAfterAndRecovers() throws Exception {
        try (TestServer server = TestServer.start(Map.of("DROVER_RATE_LIMIT_PER_SEC", "0.25",
                "DROVER_RATE_LIMIT_BURST", "3"))) {
            Api api = new Api(server);
            for (int i = 0; i < 3; i++) {
                assertThat(api.get("/v1/jobs").status()).isEqualTo(200);
            }
            var limited = api.get("/v1/jobs");
            assertThat(limited.status()).isEqualTo(429);
            assertThat(limited.errorCode()).isEqualTo("rate_limited");
            long retryAfter = limited.json().at("/error/details/retry_after_secs").asLong();
            assertThat(retryAfter).isBetween(1L, 4L);
            // a refused request changes nothing and the limit is per key: health checks pass
            Snapshot before = Snapshot.of(server.db());
            assertThat(api.post("/v1/jobs", Map.of("slug", "limited")).status()).isEqualTo(429);
            assertThat(Snapshot.of(server.db()).diff(before)).isEmpty();
            assertThat(api.get("/healthz").status()).isEqualTo(200);
            // the key gets through again once its bucket refills: awaited, with room past Retry-After
            Await.until("the key to be let through again", Duration.ofSeconds(retryAfter + 10),
                    () -> api.get("/v1/jobs").status() == 200);
        }
    }

    @Test
    void theDefaultLimitIsFarAboveNormalUse() throws Exception {
        try (TestServer server = TestServer.start()) {
            Api api = new Api(server);
            for (int i = 0; i < 300; i++) {
                assertThat(api.get("/v1/runs?limit=1").status()).isEqualTo(200);
            }
        }
    }

    @Test
    void retryAfterIsSentWithThe429() throws Exception {
        try (TestServer server = TestServer.start(Map.of("DROVER_RATE_LIMIT_PER_SEC", "0.5",
                "DROVER_RATE_LIMIT_BURST", "1"))) {
            var http = java.net.http.HttpClient.newHttpClient();
            var req = java.net.http.HttpRequest.newBuilder(java.net.URI.create(server.baseUrl() + "/v1/jobs"))
                    .header("Authorization", "Bearer " + server.adminKey()).build();
            assertThat(http.send(req, java.net.http.HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
            var r = http.send(req, java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(429);
            assertThat(r.headers().firstValue("Retry-After")).hasValueSatisfying(v ->
                    assertThat(Long.parseLong(v)).isBetween(1L, 2L));
        }
    }

    /** Reads until the server closes the connection; true if it did within the socket's timeout. */
    private static boolean closedByServer(Socket s) throws Exception {
        InputStream in = s.getInputStream();
        byte[] buf = new byte[4096];
        try {
            while (in.read(buf) >= 0) {
                // an error answer (408/400) may come before the close
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (java.net.SocketException e) {
            return true; // reset
        }
    }

    @Test
    void slowAndHalfOpenClientsAreCutOffWithoutStarvingOthers() throws Exception {
        try (TestServer server = TestServer.start(Map.of("DROVER_HTTP_IDLE_TIMEOUT_MS", "1500"))) {
            Api api = new Api(server);
            assertThat(api.get("/v1/jobs").status()).isEqualTo(200);
            Snapshot before = Snapshot.of(server.db());
            List<Socket> sockets = new ArrayList<>();
            String auth = "Authorization: Bearer " + server.adminKey() + "\r\n";
            for (int i = 0; i < 150; i++) {
                Socket s = new Socket("127.0.0.1", server.port());
                s.setSoTimeout(40_000);
                OutputStream out = s.getOutputStream();
                switch (i % 3) {
                    case 0 -> { } // connects and says nothing (half-open)
                    case 1 -> out.write("POST /v1/jobs HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
                    default -> out.write(("POST /v1/jobs HTTP/1.1\r\nHost: x\r\n" + auth
                            + "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"slug\":\"sl")
                            .getBytes(StandardCharsets.US_ASCII)); // a body that never finishes
                }
                out.flush();
                sockets.add(s);
            }
            // others are served normally while the stalled connections hang
            for (int i = 0; i < 20; i++) {
                long t = System.nanoTime();
                assertThat(api.get("/v1/jobs").status()).isEqualTo(200);
                assertThat((System.nanoTime() - t) / 1_000_000).as("a normal request is not held up").isLessThan(1_000);
            }
            // each stalled connection watched at once: how long until the server closes it
            long t0 = System.nanoTime();
            List<java.util.concurrent.Future<Long>> closedAfter = new ArrayList<>();
            try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
                for (Socket s : sockets) {
                    closedAfter.add(pool.submit(() -> closedByServer(s) ? (System.nanoTime() - t0) / 1_000_000 : -1L));
                }
            }
            List<String> slow = new ArrayList<>();
            for (int i = 0; i < sockets.size(); i++) {
                long ms = closedAfter.get(i).get();
                if (ms < 0 || ms > 8_000) {
                    slow.add(new String[] {"silent", "partial headers", "partial body"}[i % 3] + " #" + i + ": "
                            + (ms < 0 ? "still open" : "closed after " + ms + " ms"));
                }
                sockets.get(i).close();
            }
            assertThat(slow).as("stalled connections the server did not cut off within the idle timeout").isEmpty();
            assertThat(Snapshot.of(server.db()).diff(before)).as("no half-sent request changed anything").isEmpty();
            assertThat(api.get("/v1/jobs").status()).isEqualTo(200);
        }
    }

    @Test
    void aDatabaseThatWentAwayIsAnswered503WithRetryAfterNot500() throws Exception {
        List<Route> routes = List.of(
                Route.get("/gone", null, "db gone", c -> {
                    throw new DbException(new SQLException("An I/O error occurred while sending to the backend.",
                            "08006"));
                }),
                Route.get("/shutdown", null, "db shutting down", c -> {
                    throw new DbException(new SQLException("terminating connection due to administrator command",
                            "57P01"));
                }),
                Route.get("/pool", null, "pool timeout", c -> {
                    throw new DbException(new java.sql.SQLTransientConnectionException("drover - Connection is not "
                            + "available, request timed out after 10000ms"));
                }),
                Route.get("/bug", null, "a real bug", c -> {
                    throw new DbException(new SQLException("syntax error", "42601"));
                }));
        HttpApi http = new HttpApi(routes, null, 1 << 20, "127.0.0.1", 0).start();
        try {
            Api api = new Api("http://127.0.0.1:" + http.port(), null);
            for (String path : List.of("/gone", "/shutdown", "/pool")) {
                var r = api.get(path);
                assertThat(r.status()).as(path).isEqualTo(503);
                assertThat(r.errorCode()).isEqualTo("database_unavailable");
            }
            var hc = java.net.http.HttpClient.newHttpClient();
            var r = hc.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + http.port()
                    + "/gone")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(r.headers().firstValue("Retry-After")).contains("1");
            assertThat(api.get("/bug").status()).isEqualTo(500);
        } finally {
            http.stop();
        }
    }
}
