package io.drover.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.client.DroverClient;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code drover jobs create}: builds a job body from a file, inline JSON and flags, in that order,
 * each overriding the fields of the one before, and sends it. The server validates the body.
 */
@Command(name = "create", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Create a job from flags, a JSON file (-f) and/or inline JSON (--data).",
            "Flags override --data, which overrides the file. Fields without a flag (retry, "
                + "default_metadata, dead_letter...) go in the JSON."},
        footer = ExitCodes.FOOTER)
class JobCreateCommand extends ClientCommand {
    @Option(names = {"-f", "--file"}, paramLabel = "<file>", description = "Job JSON file; - reads stdin.")
    String file;

    @Option(names = "--data", paramLabel = "<json>", description = "Job JSON inline, or @file.")
    String data;

    @Option(names = "--slug", description = "Unique name: [a-z0-9][a-z0-9-_]*.")
    String slug;

    @Option(names = "--name", description = "Display name.")
    String name;

    @Option(names = "--description", description = "Free text.")
    String description;

    @Option(names = "--queue", description = "Queue workers claim from (server default: default).")
    String queue;

    @Option(names = "--execution", paramLabel = "worker|http", description = "Who runs it (server default: worker).")
    String execution;

    @Option(names = "--endpoint-url", paramLabel = "<url>", description = "Where to POST runs; required for http.")
    String endpointUrl;

    @Option(names = "--max-attempts", paramLabel = "<n>", description = "Attempts before dead letter (server default 3).")
    Integer maxAttempts;

    @Option(names = "--priority", paramLabel = "<n>", description = "Higher runs first.")
    Integer priority;

    @Option(names = "--timeout-secs", paramLabel = "<n>", description = "Time limit of one attempt.")
    Integer timeoutSecs;

    @Option(names = "--ttl-secs", paramLabel = "<n>", description = "Expire runs not started within this time.")
    Integer ttlSecs;

    @Option(names = "--max-concurrency", paramLabel = "<n>", description = "Runs executing at once, at most.")
    Integer maxConcurrency;

    @Option(names = "--max-concurrency-per-key", paramLabel = "<n>", description = "Per concurrency key, at most.")
    Integer maxConcurrencyPerKey;

    @Option(names = "--tag", paramLabel = "<tag>", description = "A tag; repeat for more (replaces the JSON's tags).")
    List<String> tags;

    @Option(names = "--cron", paramLabel = "<expr>", description = "Schedule: a cron expression.")
    String cron;

    @Option(names = "--interval-secs", paramLabel = "<n>", description = "Schedule: run every n seconds.")
    Long intervalSecs;

    @Option(names = "--timezone", paramLabel = "<zone>", description = "Schedule time zone, such as Europe/Paris.")
    String timezone;

    @Override
    protected void run(DroverClient client, Output out) {
        JsonNode created = client.send("POST", "/v1/jobs", body());
        out.object(created);
        if (created.hasNonNull("signing_secret") && !out.json()) {
            out.hint("Save signing_secret now: the server shows it only once.");
        }
    }

    ObjectNode body() {
        ObjectNode body = JsonArgs.newObject();
        if (file != null) {
            body.setAll(asObject("-f", JsonArgs.file("-f", file)));
        }
        if (data != null) {
            body.setAll(JsonArgs.object("--data", data));
        }
        put(body, "slug", slug);
        put(body, "name", name);
        put(body, "description", description);
        put(body, "queue", queue);
        put(body, "execution", execution);
        put(body, "endpoint_url", endpointUrl);
        put(body, "max_attempts", maxAttempts);
        put(body, "priority", priority);
        put(body, "timeout_secs", timeoutSecs);
        put(body, "ttl_secs", ttlSecs);
        put(body, "max_concurrency", maxConcurrency);
        put(body, "max_concurrency_per_key", maxConcurrencyPerKey);
        if (tags != null) {
            body.set("tags", body.arrayNode().addAll(tags.stream().map(body::textNode).toList()));
        }
        if (cron != null || intervalSecs != null || timezone != null) {
            ObjectNode schedule = body.path("schedule") instanceof ObjectNode s ? s : body.putObject("schedule");
            put(schedule, "cron", cron);
            put(schedule, "interval_secs", intervalSecs);
            put(schedule, "timezone", timezone);
        }
        return body;
    }

    private static ObjectNode asObject(String flag, JsonNode node) {
        if (!node.isObject()) {
            throw new UsageError(flag + ": the file must hold a JSON object.");
        }
        return (ObjectNode) node;
    }

    private static void put(ObjectNode body, String field, String value) {
        if (value != null) {
            body.put(field, value);
        }
    }

    private static void put(ObjectNode body, String field, Number value) {
        if (value != null) {
            body.put(field, value.longValue());
        }
    }
}
