package io.drover.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.client.DroverClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code drover trigger}: starts one run of a job and prints it. */
@Command(name = "trigger", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Trigger one run of a job.",
            "The same --idempotency-key for the same job returns the first run instead of a new one."},
        footer = ExitCodes.FOOTER)
final class TriggerCommand extends ClientCommand {
    @Parameters(paramLabel = "<job>", description = "The job's id or slug.")
    String job;

    @Option(names = "--payload", paramLabel = "<json>", description = "The run's input: any JSON, or @file.")
    String payload;

    @Option(names = "--metadata", paramLabel = "<json>", description = "A JSON object, or @file.")
    String metadata;

    @Option(names = "--idempotency-key", paramLabel = "<key>", description = "Deduplicates triggers of this job.")
    String idempotencyKey;

    @Option(names = "--delay-ms", paramLabel = "<n>", description = "Start no earlier than n ms from now.")
    Long delayMs;

    @Option(names = "--scheduled-at", paramLabel = "<time>", description = "Start no earlier than this RFC 3339 time.")
    String scheduledAt;

    @Option(names = "--priority", paramLabel = "<n>", description = "Overrides the job's priority.")
    Integer priority;

    @Option(names = "--concurrency-key", paramLabel = "<key>", description = "Groups runs for max_concurrency_per_key.")
    String concurrencyKey;

    @Override
    protected void run(DroverClient client, Output out) {
        out.object(client.send("POST", "/v1/jobs/" + JsonArgs.segment(job) + "/trigger", body()));
    }

    private ObjectNode body() {
        ObjectNode body = JsonArgs.newObject();
        JsonNode input = JsonArgs.value("--payload", payload);
        if (input != null) {
            body.set("payload", input);
        }
        ObjectNode meta = JsonArgs.object("--metadata", metadata);
        if (meta != null) {
            body.set("metadata", meta);
        }
        if (idempotencyKey != null) {
            body.put("idempotency_key", idempotencyKey);
        }
        if (delayMs != null) {
            body.put("delay_ms", delayMs);
        }
        if (scheduledAt != null) {
            body.put("scheduled_at", scheduledAt);
        }
        if (priority != null) {
            body.put("priority", priority);
        }
        if (concurrencyKey != null) {
            body.put("concurrency_key", concurrencyKey);
        }
        return body;
    }
}
