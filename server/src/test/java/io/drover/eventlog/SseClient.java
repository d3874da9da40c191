package io.drover.eventlog;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A test client of {@code GET /v1/stream}: reads the stream on its own thread, as a browser's
 * EventSource would, into a queue of messages (events and comment lines); EOF is a message too.
 */
final class SseClient implements AutoCloseable {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    /** An event ({@code id}, {@code event}, {@code data}), a comment ({@code comment}) or the end ({@code eof}). */
    record Message(String id, String event, String data, String comment, boolean eof) {
        JsonNode json() {
            try {
                return MAPPER.readTree(data);
            } catch (IOException e) {
                throw new IllegalStateException(data, e);
            }
        }
    }

    final int status;
    final String contentType;
    final String errorBody;
    private final InputStream body;
    private final LinkedBlockingQueue<Message> messages = new LinkedBlockingQueue<>();
    private final Thread thread;

    private SseClient(HttpResponse<InputStream> r) throws IOException {
        this.status = r.statusCode();
        this.contentType = r.headers().firstValue("Content-Type").orElse("");
        this.body = r.body();
        if (status != 200) {
            this.errorBody = new String(body.readAllBytes(), StandardCharsets.UTF_8);
            this.thread = null;
            return;
        }
        this.errorBody = null;
        this.thread = Thread.ofPlatform().daemon().start(this::read);
    }

    static SseClient open(String baseUrl, String path, String key, Map<String, String> headers) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl + path)).GET();
            if (key != null) {
                b.header("Authorization", "Bearer " + key);
            }
            headers.forEach(b::header);
            return new SseClient(HTTP.send(b.build(), HttpResponse.BodyHandlers.ofInputStream()));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void read() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
            String id = null;
            String event = null;
            StringBuilder data = null;
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isEmpty()) {
                    if (data != null) {
                        messages.add(new Message(id, event, data.toString(), null, false));
                    }
                    id = null;
                    event = null;
                    data = null;
                } else if (line.startsWith(":")) {
                    messages.add(new Message(null, null, null, line.substring(1).trim(), false));
                } else if (line.startsWith("id: ")) {
                    id = line.substring(4);
                } else if (line.startsWith("event: ")) {
                    event = line.substring(7);
                } else if (line.startsWith("data: ")) {
                    data = data == null ? new StringBuilder(line.substring(6)) : data.append('\n').append(line.substring(6));
                }
            }
        } catch (IOException e) {
            // closed by us or by the server
        }
        messages.add(new Message(null, null, null, null, true));
    }

    /** The next message, or an AssertionError after {@code timeout}. */
    Message next(Duration timeout) {
        try {
            Message m = messages.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (m == null) {
                throw new AssertionError("no stream message within " + timeout);
            }
            return m;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** The next event, skipping comments; an AssertionError at EOF or after {@code timeout}. */
    Message nextEvent(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Message m = next(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            if (m.eof()) {
                throw new AssertionError("the stream ended");
            }
            if (m.event() != null) {
                return m;
            }
        }
    }

    /** Waits for a comment line saying {@code text}; returns the events seen before it. */
    List<Message> awaitComment(String text, Duration timeout) {
        List<Message> before = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Message m = next(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            if (m.eof()) {
                throw new AssertionError("the stream ended before ': " + text + "'");
            }
            if (text.equals(m.comment())) {
                return before;
            }
            if (m.event() != null) {
                before.add(m);
            }
        }
    }

    @Override
    public void close() {
        try {
            body.close();
        } catch (IOException ignored) {
            // already closed
        }
    }
}
