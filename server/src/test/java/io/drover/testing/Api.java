package io.drover.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A raw HTTP helper for tests that check the wire: status codes, error shapes, bodies that are
 * not valid JSON. Higher-level tests use the SDK's {@code DroverClient}.
 */
public final class Api {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Duration STATUS_WAIT = Duration.ofSeconds(30);
    private static final Pattern RUN = Pattern.compile("/v1/runs/[^/?]+");
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;
    private final String key;

    public Api(String base, String key) {
        this.base = base;
        this.key = key;
    }

    public Api(TestServer server) {
        this(server.baseUrl(), server.adminKey());
    }

    public Api withKey(String otherKey) {
        return new Api(base, otherKey);
    }

    public record Answer(int status, JsonNode json, String text) {
        public String errorCode() {
            return json == null ? null : json.path("error").path("code").asText(null);
        }
    }

    public Answer get(String path) {
        return send("GET", path, null);
    }

    public Answer post(String path, Object body) {
        return send("POST", path, body);
    }

    public Answer patch(String path, Object body) {
        return send("PATCH", path, body);
    }

    public Answer delete(String path) {
        return send("DELETE", path, null);
    }

    /** Sends {@code body} as JSON; a String body is sent as it is (for malformed JSON tests). */
    public Answer send(String method, String path, Object body) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60));
            if (key != null) {
                b.header("Authorization", "Bearer " + key);
            }
            if (body == null) {
                b.method(method, HttpRequest.BodyPublishers.noBody());
            } else {
                String text = body instanceof String s ? s : MAPPER.writeValueAsString(body);
                b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(text));
            }
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            JsonNode json = null;
            try {
                json = r.body().isEmpty() ? null : MAPPER.readTree(r.body());
            } catch (IOException e) {
                // not JSON (metrics, or a broken answer the test will look at)
            }
            return new Answer(r.statusCode(), json, r.body());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * GETs {@code path} until the {@code status} field of its body is {@code status}, and returns
     * that body: the one way tests wait for a run, a workflow run or an approval to reach a state.
     * A run ({@code /v1/runs/{id}}) that settles in another state (terminal or dead-lettered) fails
     * at once instead of at the deadline; a failure shows the last body seen.
     */
    public JsonNode awaitStatus(String path, String status) {
        return awaitStatus(path, status, STATUS_WAIT);
    }

    public JsonNode awaitStatus(String path, String status, Duration timeout) {
        Answer[] last = new Answer[1];
        try {
            Await.until(path + " to be " + status, timeout, () -> {
                Answer a = get(path);
                last[0] = a;
                if (a.status() != 200 || a.json() == null) {
                    throw new AssertionError("GET " + path + " answered " + a.status());
                }
                String now = a.json().path("status").asText();
                if (!now.equals(status) && RUN.matcher(path).matches()
                        && io.drover.runs.RunStatus.valueOf(now.toUpperCase(Locale.ROOT)).isSettled()) {
                    throw new AssertionError(path + " settled as " + now + " instead of " + status);
                }
                return now.equals(status);
            });
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; last seen: " + (last[0] == null ? "nothing" : last[0].text()), e);
        }
        return last[0].json();
    }
}
