package io.drover.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.client.DroverClient;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code drover workflows}: lists workflows, triggers one, lists workflow runs. Definitions: {@code drover apply}. */
@Command(name = "workflows", mixinStandardHelpOptions = true,
        description = "List and trigger workflows, and list their runs (define them with `drover apply -f`).",
        subcommands = {WorkflowsCommand.List.class, WorkflowsCommand.Trigger.class, WorkflowsCommand.Runs.class},
        footer = ExitCodes.FOOTER)
public final class WorkflowsCommand {

    /** {@code drover workflows list}. */
    @Command(name = "list", mixinStandardHelpOptions = true, description = "List workflows.", footer = ExitCodes.FOOTER)
    static final class List extends ClientCommand {
        @Mixin
        ListOptions paging;

        @Override
        protected void run(DroverClient client, Output out) {
            Table table = new Table()
                    .column("SLUG", "slug")
                    .column("VERSION", "version")
                    .column("STEPS", w -> Integer.toString(w.path("steps").size()))
                    .column("UPDATED", w -> Output.time(w.get("updated_at")));
            out.list(paging.fetch(client, "/v1/workflows", Map.of(), out), table, "workflows");
        }
    }

    /** {@code drover workflows trigger}. */
    @Command(name = "trigger", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Start a run of a workflow.",
                "The same --idempotency-key returns the first run instead of a new one, and says so on stderr.",
                "With --wait, waits for the workflow run to end: exit 0 when it completed, 1 otherwise."},
            footer = ExitCodes.FOOTER)
    static final class Trigger extends ClientCommand {
        @Parameters(paramLabel = "<workflow>", description = "The workflow's id or slug.")
        String workflow;

        @Option(names = "--input", paramLabel = "<json>", description = "The run's input: any JSON, or @file.")
        String input;

        @Option(names = "--idempotency-key", paramLabel = "<key>", description = "Deduplicates triggers of this workflow.")
        String idempotencyKey;

        @Option(names = "--wait", description = "Wait for the workflow run to end; exit 1 unless it completed.")
        boolean await;

        @Option(names = "--timeout", paramLabel = "<secs>", defaultValue = "600",
                description = "With --wait: give up after this many seconds (default ${DEFAULT-VALUE}).")
        long timeoutSecs;

        @Override
        protected void run(DroverClient client, Output out) {
            ObjectNode body = JsonArgs.newObject();
            JsonNode in = JsonArgs.value("--input", input);
            if (in != null) {
                body.set("input", in);
            }
            if (idempotencyKey != null) {
                body.put("idempotency_key", idempotencyKey);
            }
            StatusPost.Answer answer = StatusPost.post(client, apiKey(),
                    "/v1/workflows/" + JsonArgs.segment(workflow) + "/trigger", body);
            JsonNode run = answer.body();
            String id = run.path("id").asText();
            if (answer.status() == 200) {
                out.hint("Idempotent trigger: workflow run " + id + " was already made with idempotency key '"
                        + idempotencyKey + "' (status " + run.path("status").asText() + "); no new run.");
            }
            if (!await) {
                out.object(run);
                return;
            }
            io.drover.client.WorkflowRun ended;
            try {
                ended = client.workflows().await(id, Duration.ofSeconds(timeoutSecs));
            } catch (io.drover.client.DroverApiException | io.drover.client.DroverTransportException e) {
                throw e;
            } catch (io.drover.client.DroverException e) {
                out.object(client.send("GET", "/v1/workflow-runs/" + JsonArgs.segment(id), null));
                out.hint("Workflow run " + id + " has not ended after " + timeoutSecs + " s.");
                exitWith(ExitCodes.SERVER_ERROR);
                return;
            }
            out.object(client.send("GET", "/v1/workflow-runs/" + JsonArgs.segment(id), null));
            if (!"completed".equals(ended.status())) {
                out.hint("Workflow run " + id + " ended " + ended.status() + ".");
                exitWith(ExitCodes.SERVER_ERROR);
            }
        }
    }

    /** {@code drover workflows runs}: workflow runs, newest first, of one workflow or all. */
    @Command(name = "runs", mixinStandardHelpOptions = true, description = "List workflow runs, newest first.",
            footer = ExitCodes.FOOTER)
    static final class Runs extends ClientCommand {
        @Parameters(arity = "0..1", paramLabel = "<workflow>", description = "Only runs of this workflow (id or slug).")
        String workflow;

        @Option(names = "--status", paramLabel = "<status>",
                description = "Only runs in this state: pending, running, waiting, completed, failed, canceled.")
        String status;

        @Mixin
        ListOptions paging;

        @Override
        protected void run(DroverClient client, Output out) {
            Map<String, String> filters = new HashMap<>();
            filters.put("workflow", workflow);
            filters.put("status", status);
            Table table = new Table()
                    .column("ID", "id")
                    .column("WORKFLOW", "workflow_slug")
                    .column("VERSION", "version")
                    .column("STATUS", "status")
                    .column("CREATED", r -> Output.time(r.get("created_at")));
            out.list(paging.fetch(client, "/v1/workflow-runs", filters, out), table, "workflow runs");
        }
    }
}
