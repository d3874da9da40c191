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
            "The same --idempotency-key for the same job returns the first run instead of a new one, and says so",
            "on stderr. With --wait, waits for the run to end and prints it as it ended: the exit code is 0 when",
            "it completed and 1 otherwise (failed, canceled, expired, dead-lettered or still running at --timeout)."},
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

    @Option(names = "--wait", description = "Wait for the run to end; exit 1 unless it completed.")
    boolean await;

    @Option(names = "--timeout", paramLabel = "<secs>", defaultValue = "600",
            description = "With --wait: give up after this many seconds (default ${DEFAULT-VALUE}).")
    long timeoutSecs;

    @Override
    protected void run(DroverClient client, Output out) {
        StatusPost.Answer answer = StatusPost.post(client, apiKey(), "/v1/jobs/" + JsonArgs.segment(job) + "/trigger",
                body());
        JsonNode run = answer.body();
        if (answer.status() == 200) {
            out.hint("Idempotent trigger: run " + run.path("id").asText() + " was already made with idempotency key '"
                    + idempotencyKey + "' (status " + run.path("status").asText() + "); no new run.");
        }
        if (!await) {
            out.object(run);
            return;
        }
        waitForRun(client, out, run.path("id").asText(), timeoutSecs, this::exitWith);
    }

    /** Polls a run until it is over (terminal or dead-lettered), prints it, and sets exit 1 unless it completed. */
    static void waitForRun(DroverClient client, Output out, String runId, long timeoutSecs,
                           java.util.function.IntConsumer exit) {
        io.drover.client.Run ended;
        try {
            ended = client.awaitRun(runId, java.time.Duration.ofSeconds(timeoutSecs));
        } catch (io.drover.client.DroverApiException | io.drover.client.DroverTransportException e) {
            throw e;
        } catch (io.drover.client.DroverException e) {
            out.object(client.send("GET", "/v1/runs/" + JsonArgs.segment(runId), null));
            out.hint("Run " + runId + " has not ended after " + timeoutSecs + " s (" + e.getMessage() + ").");
            exit.accept(ExitCodes.SERVER_ERROR);
            return;
        }
        out.object(client.send("GET", "/v1/runs/" + JsonArgs.segment(runId), null));
        if (ended.status() != io.drover.client.RunStatus.COMPLETED) {
            out.hint("Run " + runId + " ended " + ended.status().wireName()
                    + (ended.error() == null ? "" : ": " + ended.error().message()) + ".");
            exit.accept(ExitCodes.SERVER_ERROR);
        }
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
