package io.drover.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.client.DroverClient;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code drover jobs update}: changes a job with the flags of {@code jobs create} (only those
 * given), making a new version; {@code drover jobs delete} removes one.
 */
@Command(name = "update", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Change a job: only the fields given change, and the job gets a new version.",
            "Takes the flags of `jobs create`, a JSON file (-f) and/or inline JSON (--data); --no-schedule",
            "removes the schedule."},
        footer = ExitCodes.FOOTER)
final class JobUpdateCommand extends JobCreateCommand {
    @Parameters(index = "0", paramLabel = "<id-or-slug>", description = "The job's id or slug.")
    String job;

    @Option(names = "--no-schedule", description = "Remove the job's schedule.")
    boolean noSchedule;

    @Override
    protected void run(DroverClient client, Output out) {
        ObjectNode body = body();
        if (noSchedule) {
            if (body.has("schedule")) {
                throw new UsageError("--no-schedule and a schedule (--cron, --interval-secs, --timezone) together.");
            }
            body.putNull("schedule");
        }
        if (body.isEmpty()) {
            throw new UsageError("nothing to change: give at least one flag, -f or --data.");
        }
        out.object(client.send("PATCH", "/v1/jobs/" + JsonArgs.segment(job), body));
    }

    /** {@code drover jobs delete}: removes a job; its runs are kept. */
    @Command(name = "delete", mixinStandardHelpOptions = true,
            description = "Delete a job. Its runs are kept; its schedule stops.", footer = ExitCodes.FOOTER)
    static final class Delete extends ClientCommand {
        @Parameters(paramLabel = "<id-or-slug>", description = "The job's id or slug.")
        String job;

        @Override
        protected void run(DroverClient client, Output out) {
            client.send("DELETE", "/v1/jobs/" + JsonArgs.segment(job), null);
            if (out.json()) {
                out.object(client.mapper().valueToTree(Map.of("deleted", job)));
            } else {
                out.line("deleted job " + job);
            }
        }
    }
}
