package io.drover.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.client.DroverClient;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code drover jobs}: lists, shows, creates, updates and deletes job definitions. */
@Command(name = "jobs", mixinStandardHelpOptions = true,
        description = "List, show, create, update and delete jobs.",
        subcommands = {JobsCommand.List.class, JobsCommand.Get.class, JobCreateCommand.class, JobUpdateCommand.class,
            JobUpdateCommand.Delete.class},
        footer = ExitCodes.FOOTER)
public final class JobsCommand {

    /** The columns of a job list. */
    static Table table() {
        return new Table()
                .column("SLUG", "slug")
                .column("EXECUTION", "execution")
                .column("QUEUE", "queue")
                .column("VERSION", "version")
                .column("MAX ATTEMPTS", "max_attempts")
                .column("SCHEDULE", job -> schedule(job.path("schedule")))
                .column("CREATED", job -> Output.time(job.get("created_at")));
    }

    private static String schedule(JsonNode s) {
        if (s.hasNonNull("cron")) {
            return s.get("cron").asText();
        }
        if (s.hasNonNull("interval_secs")) {
            return "every " + s.get("interval_secs").asText() + "s";
        }
        if (s.hasNonNull("at")) {
            return "at " + s.get("at").asText();
        }
        return "-";
    }

    /** {@code drover jobs list}: one page of jobs, or all of them. */
    @Command(name = "list", mixinStandardHelpOptions = true, description = "List jobs.", footer = ExitCodes.FOOTER)
    static final class List extends ClientCommand {
        @Mixin
        ListOptions paging;

        @Override
        protected void run(DroverClient client, Output out) {
            out.list(paging.fetch(client, "/v1/jobs", Map.of(), out), table(), "jobs");
        }
    }

    /** {@code drover jobs get}: one job by id or slug. */
    @Command(name = "get", mixinStandardHelpOptions = true, description = "Show one job.", footer = ExitCodes.FOOTER)
    static final class Get extends ClientCommand {
        @Parameters(paramLabel = "<id-or-slug>", description = "The job's id or slug.")
        String job;

        @Override
        protected void run(DroverClient client, Output out) {
            out.object(client.send("GET", "/v1/jobs/" + JsonArgs.segment(job), null));
        }
    }
}
