package io.drover.agent;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** The agent protocol over HTTP: JSON in, JSON out, the agent token as a bearer token. */
final class AgentHttp {

    /** Drover answered, but not with a 2xx. */
    static final class Refused extends IOException {
        final int status;

        Refused(int status, String body) {
            super("Drover answered " + status + ": " + (body.length() > 500 ? body.substring(0, 500) : body));
            this.status = status;
        }

        /** The frame itself is wrong: sending it again would not help (not 408, 409, 429 or 5xx). */
        boolean permanent() {
            return status >= 400 && status < 500 && status != 408 && status != 409 && status != 429 && status != 401;
        }
    }

    private final HttpClient client;
    private final URI base;
    private final String authorization;
    private final Duration requestTimeout;

    AgentHttp(String baseUrl, String token, Duration requestTimeout) {
        String b = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.base = URI.create(b);
        this.authorization = "Bearer " + token;
        this.requestTimeout = requestTimeout;
        this.client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    JsonNode post(String path, Object body) throws IOException, InterruptedException {
        byte[] json = Frames.JSON.writeValueAsBytes(body);
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + path)).timeout(requestTimeout)
                .header("Authorization", authorization).header("Content-Type", "application/json")
                .header("User-Agent", "drover-agent-java")
                .POST(HttpRequest.BodyPublishers.ofByteArray(json)).build();
        return send(req);
    }

    JsonNode get(String path, Duration timeout) throws IOException, InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + path)).timeout(timeout)
                .header("Authorization", authorization).header("User-Agent", "drover-agent-java").GET().build();
        return send(req);
    }

    private JsonNode send(HttpRequest req) throws IOException, InterruptedException {
        HttpResponse<byte[]> res = client.send(req, HttpResponse.BodyHandlers.ofByteArray());
        String body = new String(res.body(), java.nio.charset.StandardCharsets.UTF_8);
        if (res.statusCode() / 100 != 2) {
            throw new Refused(res.statusCode(), body);
        }
        return body.isBlank() ? Frames.JSON.createObjectNode() : Frames.JSON.readTree(body);
    }
}
