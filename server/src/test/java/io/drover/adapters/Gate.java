package io.drover.adapters;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;

/**
 * A door in front of a real Drover: open, it passes requests through; closed, it answers 503 as a
 * load balancer does while Drover restarts. Lets a test take Drover away from an agent for a while.
 */
final class Gate implements AutoCloseable {
    private final HttpServer server;
    private final HttpClient client = HttpClient.newHttpClient();
    private final String target;
    private volatile boolean open;
    private volatile int refused;

    Gate(String target) throws IOException {
        this.target = target;
        this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", this::pass);
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    void open() {
        open = true;
    }

    void close(boolean closed) {
        open = !closed;
    }

    int refused() {
        return refused;
    }

    private void pass(HttpExchange x) throws IOException {
        try (x) {
            if (!open) {
                refused++;
                x.sendResponseHeaders(503, -1);
                return;
            }
            byte[] body = x.getRequestBody().readAllBytes();
            HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(target + x.getRequestURI()))
                    .timeout(Duration.ofSeconds(60))
                    .method(x.getRequestMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofByteArray(body));
            for (String h : List.of("Authorization", "Content-Type")) {
                String v = x.getRequestHeaders().getFirst(h);
                if (v != null) {
                    req.header(h, v);
                }
            }
            HttpResponse<byte[]> res = client.send(req.build(), HttpResponse.BodyHandlers.ofByteArray());
            res.headers().firstValue("Content-Type").ifPresent(v -> x.getResponseHeaders().set("Content-Type", v));
            x.sendResponseHeaders(res.statusCode(), res.body().length == 0 ? -1 : res.body().length);
            x.getResponseBody().write(res.body());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
