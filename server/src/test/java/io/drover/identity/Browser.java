package io.drover.identity;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.drover.testing.Api;
import java.io.IOException;
import java.net.CookieManager;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** A signed-in person in tests: cookies kept like a browser, the CSRF header sent on writes when set. */
final class Browser {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    final CookieManager cookies = new CookieManager();
    private final HttpClient http;
    private final String base;
    String csrf;
    String project;
    boolean sendCsrf = true;
    HttpResponse<String> last;

    Browser(String base) {
        this.base = base;
        this.http = HttpClient.newBuilder().cookieHandler(cookies).connectTimeout(Duration.ofSeconds(5)).build();
    }

    Api.Answer login(String email, String password) {
        Api.Answer a = send("POST", "/v1/auth/login", Map.of("email", email, "password", password));
        if (a.status() == 200) {
            csrf = a.json().get("csrf_token").asText();
        }
        return a;
    }

    Api.Answer get(String path) {
        return send("GET", path, null);
    }

    Api.Answer post(String path, Object body) {
        return send("POST", path, body);
    }

    Api.Answer send(String method, String path, Object body) {
        return send(method, path, body, Map.of());
    }

    Api.Answer send(String method, String path, Object body, Map<String, String> headers) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60));
            if (csrf != null && sendCsrf) {
                b.header("X-CSRF-Token", csrf);
            }
            if (project != null) {
                b.header("X-Drover-Project", project);
            }
            headers.forEach(b::header);
            if (body == null) {
                b.method(method, HttpRequest.BodyPublishers.noBody());
            } else {
                b.header("Content-Type", "application/json")
                        .method(method, HttpRequest.BodyPublishers.ofString(MAPPER.writeValueAsString(body)));
            }
            last = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            JsonNode json = null;
            try {
                json = last.body().isEmpty() ? null : MAPPER.readTree(last.body());
            } catch (IOException e) {
                // not JSON
            }
            return new Api.Answer(last.statusCode(), json, last.body());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    List<String> setCookies() {
        return last.headers().allValues("set-cookie");
    }
}
