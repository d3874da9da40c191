package io.drover.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.client.DroverClient;
import io.drover.client.DroverException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code drover events tail}: the project's event stream ({@code GET /v1/stream}), one line per event. */
@Command(name = "events", mixinStandardHelpOptions = true, description = "Follow the project's events.",
        subcommands = {EventsCommand.Tail.class}, footer = ExitCodes.FOOTER)
public final class EventsCommand {

    @Command(name = "tail", mixinStandardHelpOptions = true,
            description = "Print events as they happen (with --json, one event JSON per line). Reconnects after "
                    + "the last event printed when the connection drops; stop with Ctrl-C.",
            footer = ExitCodes.FOOTER)
    static final class Tail extends ClientCommand {
        @Option(names = "--types", paramLabel = "<types>",
                description = "Comma-separated types; a prefix ending in .* matches (run.*,workflow_run.completed).")
        String types;

        @Option(names = "--after", paramLabel = "<id>", description = "Start after this event id (else: from now).")
        String after;

        @Option(names = "--count", paramLabel = "<n>", description = "Exit after this many events.")
        Long count;

        @Override
        protected void run(DroverClient client, Output out) {
            follow(client, out, apiKey(), types, after, count, null, e -> {
                print(out, e);
                return true;
            });
        }
    }

    /**
     * Follows {@code GET /v1/stream}: hands each event to {@code onEvent}, which tells whether it
     * counts towards {@code count} (null: no limit) or, by throwing {@link Stop}, ends the stream.
     * Reconnects after the last event seen when the connection drops. {@code connected} (may be
     * null) runs each time the stream is open, before its first event.
     */
    static void follow(DroverClient client, Output out, String apiKey, String types, String after, Long count,
                       Runnable connected, java.util.function.Predicate<JsonNode> onEvent) {
            String last = after;
            long printed = 0;
            int failures = 0;
            try (var http = java.net.http.HttpClient.newHttpClient()) {
                while (count == null || printed < count) {
                    StringBuilder q = new StringBuilder("/v1/stream");
                    if (types != null) {
                        q.append("?types=").append(URLEncoder.encode(types, StandardCharsets.UTF_8));
                    }
                    var b = java.net.http.HttpRequest.newBuilder(java.net.URI.create(client.baseUrl() + q))
                            .header("Authorization", "Bearer " + apiKey)
                            .header("Accept", "text/event-stream").GET();
                    if (last != null) {
                        b.header("Last-Event-ID", last);
                    }
                    try {
                        var answer = http.send(b.build(), java.net.http.HttpResponse.BodyHandlers.ofInputStream());
                        if (answer.statusCode() != 200) {
                            String body;
                            try (InputStream in = answer.body()) {
                                body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                            }
                            throw io.drover.client.DroverApiException.fromResponse(answer.statusCode(), body,
                                    client.mapper());
                        }
                        failures = 0;
                        try (BufferedReader in = new BufferedReader(new InputStreamReader(answer.body(),
                                StandardCharsets.UTF_8))) {
                            if (connected != null) {
                                connected.run();
                            }
                            String event = null;
                            String line;
                            while ((count == null || printed < count) && (line = in.readLine()) != null) {
                                if (line.startsWith("event: ")) {
                                    event = line.substring(7);
                                } else if (line.startsWith("data: ")) {
                                    JsonNode data = client.mapper().readTree(line.substring(6));
                                    if ("error".equals(event)) {
                                        out.hint("stream: " + data.path("error").path("message").asText()
                                                + "; resuming");
                                    } else {
                                        last = data.path("id").asText();
                                        if (onEvent.test(data)) {
                                            printed++;
                                        }
                                    }
                                } else if (line.isEmpty()) {
                                    event = null;
                                }
                            }
                        }
                    } catch (Stop stop) {
                        return;
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new DroverException("interrupted", e);
                    } catch (IOException e) {
                        if (++failures > 5) {
                            throw new io.drover.client.DroverTransportException(e.getMessage(), e);
                        }
                        out.hint("stream lost (" + e.getMessage() + "); reconnecting");
                        sleep(Math.min(5_000, 200L << failures));
                    }
                }
            }
        }

    /** Thrown by a follower's event handler to end the stream. */
    static final class Stop extends RuntimeException {
        Stop() {
            super(null, null, false, false);
        }
    }

        static void print(Output out, JsonNode e) {
            if (out.json()) {
                out.line(e.toString());
                return;
            }
            JsonNode d = e.path("data");
            String what = d.has("run_id") && d.has("job_slug") ? d.get("job_slug").asText() + " "
                    + d.get("run_id").asText() + " " + d.path("to_status").asText("")
                    : d.has("workflow_run_id") ? d.path("workflow").asText(d.path("step_id").asText("")) + " "
                    + d.get("workflow_run_id").asText() : d.has("action") ? d.get("action").asText() : "";
            out.line(e.path("occurred_at").asText() + "  " + e.path("type").asText() + "  " + what.strip());
        }

        static void sleep(long ms) {
            try {
                Thread.sleep(ms);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DroverException("interrupted", e);
            }
        }
}
