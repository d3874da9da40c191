package io.drover.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.drover.client.DroverApiException;
import io.drover.client.DroverClient;
import io.drover.client.DroverException;
import io.drover.client.DroverTransportException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A POST whose answer's status matters, which {@link DroverClient#send} does not tell: a trigger
 * answers 201 for a new run and 200 for the run an idempotency key already made.
 */
final class StatusPost {

    record Answer(int status, JsonNode body) {}

    private StatusPost() {}

    static Answer post(DroverClient client, String apiKey, String path, JsonNode body) {
        byte[] json;
        try {
            json = client.mapper().writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new DroverException("cannot write the body of POST " + path, e);
        }
        HttpRequest request = HttpRequest.newBuilder(URI.create(client.baseUrl() + path))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + apiKey)
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(json)).build();
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            HttpResponse<String> answer = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            if (answer.statusCode() < 200 || answer.statusCode() > 299) {
                throw DroverApiException.fromResponse(answer.statusCode(), answer.body(), client.mapper());
            }
            return new Answer(answer.statusCode(), client.mapper().readTree(answer.body()));
        } catch (IOException e) {
            throw new DroverTransportException("POST " + path + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DroverTransportException("POST " + path + " interrupted", e);
        }
    }
}
