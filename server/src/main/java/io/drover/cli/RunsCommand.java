package io.drover.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.client.DroverApiException;
import io.drover.client.DroverClient;
import java.util.HashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code drover runs}: lists and inspects runs, and cancels or replays one. */
@Command(name = "runs", mixinStandardHelpOptions = true,
        description = "List, inspect, follow, cancel and replay runs.",
        subcommands = {RunsCommand.List.class, RunsCommand.Get.class, RunsCommand.Events.class,
            RunsCommand.Tail.class, RunsCommand.Cancel.class, RunsCommand.Replay.class},
        footer = ExitCodes.FOOTER)
public final class RunsCommand {

    private static String path(String runId, String action) {
        return "/v1/runs/" + JsonArgs.segment(runId) + action;
    }

    /** {@code drover runs list}: runs, newest first, optionally of one job or in one status. */
    @Command(name = "list", mixinStandardHelpOptions = true, description = "List runs, newest first.",
            footer = ExitCodes.FOOTER)
    static final class List extends ClientCommand {
        @Option(names = "--job", paramLabel = "<id-or-slug>", description = "Only runs of this job.")
        String job;

        @Option(names = "--status", paramLabel = "<status>",
                description = "Only runs in this state, such as queued, executing, completed, dead_letter.")
        String status;

        @Mixin
        ListOptions paging;

        @Override
        protected void run(DroverClient client, Output out) {
            Map<String, String> filters = new HashMap<>();
            filters.put("job", job);
            filters.put("status", status);
            Table table = new Table()
                    .column("ID", "id")
                    .column("JOB", "job_slug")
                    .column("STATUS", "status")
                    .column("ATTEMPT", run -> Output.text(run.get("attempt")) + "/" + Output.text(run.get("max_attempts")))
                    .column("CREATED", run -> Output.time(run.get("created_at")));
            out.list(paging.fetch(client, "/v1/runs", filters, out), table, "runs");
        }
    }

    /** {@code drover runs get}: every field of one run. */
    @Command(name = "get", mixinStandardHelpOptions = true, description = "Show one run.", footer = ExitCodes.FOOTER)
    static final class Get extends ClientCommand {
        @Parameters(paramLabel = "<id>", description = "The run id.")
        String id;

        @Override
        protected void run(DroverClient client, Output out) {
            out.object(client.send("GET", path(id, ""), null));
        }
    }

    /** {@code drover runs events}: a run's state changes, oldest first, all pages. */
    @Command(name = "events", mixinStandardHelpOptions = true, description = "Show a run's events, in order.",
            footer = ExitCodes.FOOTER)
    static final class Events extends ClientCommand {
        @Parameters(paramLabel = "<id>", description = "The run id.")
        String id;

        @Override
        protected void run(DroverClient client, Output out) {
            JsonNode events = ListOptions.everything().fetch(client, path(id, "/events"), Map.of(), out);
            Table table = new Table()
                    .column("TIME", e -> Output.time(e.get("created_at")))
                    .column("TYPE", "type")
                    .column("FROM", "from_status")
                    .column("TO", "to_status")
                    .column("ATTEMPT", "attempt")
                    .column("MESSAGE", "message");
            out.list(events, table, "events");
        }
    }

    /**
     * {@code drover runs tail}: the run events of the stream ({@code GET /v1/stream?types=run.*}),
     * of one run, of one job or all; with a run id it exits once that run has ended.
     */
    @Command(name = "tail", mixinStandardHelpOptions = true,
            description = {"Print run events as they happen.",
                "From the event stream, one line per event (with --json, one event JSON per line). With a run id,",
                "only that run's, and exit once it has ended (at once if it already has); with --job, only that",
                "job's. Reconnects when the connection drops; stop with Ctrl-C."},
            footer = ExitCodes.FOOTER)
    static final class Tail extends ClientCommand {
        @Parameters(arity = "0..1", paramLabel = "<run-id>", description = "Follow this run only.")
        String id;

        @Option(names = "--job", paramLabel = "<slug>", description = "Only runs of this job.")
        String job;

        @Option(names = "--count", paramLabel = "<n>", description = "Exit after this many events.")
        Long count;

        @Override
        protected void run(DroverClient client, Output out) {
            // Checked each time the stream opens: a run that ended before (or while reconnecting) is reported
            // from its state, since its last events may have gone by.
            Runnable connected = id == null ? null : () -> {
                JsonNode run = client.send("GET", path(id, ""), null);
                if (over(run.path("status").asText())) {
                    out.hint("Run " + id + " has ended: " + run.path("status").asText() + ".");
                    throw new EventsCommand.Stop();
                }
                out.hint("Following run " + id + " (" + run.path("status").asText() + ").");
            };
            EventsCommand.follow(client, out, apiKey(), "run.*", null, count, connected, e -> {
                JsonNode d = e.path("data");
                if ((id != null && !id.equals(d.path("run_id").asText()))
                        || (job != null && !job.equals(d.path("job_slug").asText()))) {
                    return false;
                }
                EventsCommand.print(out, e);
                if (id != null && over(d.path("to_status").asText())) {
                    throw new EventsCommand.Stop();
                }
                return true;
            });
        }

        private static boolean over(String status) {
            return switch (status) {
                case "completed", "failed", "timed_out", "crashed", "system_failed", "canceled", "expired",
                        "dead_letter" -> true;
                default -> false;
            };
        }
    }

    /** {@code drover runs cancel}: cancels a run that has not finished, or every run a filter matches. */
    @Command(name = "cancel", mixinStandardHelpOptions = true,
            description = {"Cancel a run, or every run a filter matches.",
                "With an id: that run (the server answers 409, exit 1, when it already finished). With",
                "--job/--status/--queue/--created-after/--created-before instead of an id: every run they match,",
                "in the background; without --yes it only prints how many runs that is."},
            footer = ExitCodes.FOOTER)
    static final class Cancel extends ClientCommand {
        @Parameters(paramLabel = "<id>", arity = "0..1", description = "The run id (or a filter instead).")
        String id;

        @Mixin
        BatchFilterOptions filter;

        @Override
        protected void run(DroverClient client, Output out) {
            if (id == null) {
                filter.batch(client, out, "cancel");
                return;
            }
            filter.requireNone();
            out.object(client.send("POST", path(id, "/cancel"), Map.of()));
        }
    }

    /** {@code drover runs replay}: requeues a dead-lettered run, or starts a new run from a finished one. */
    @Command(name = "replay", mixinStandardHelpOptions = true,
            description = {"Replay a run: a dead-lettered run goes back to queued; a finished one gets a new run.",
                "With a filter instead of an id, every run it matches, in the background (--yes to do it)."},
            footer = ExitCodes.FOOTER)
    static final class Replay extends ClientCommand {
        @Parameters(paramLabel = "<id>", arity = "0..1", description = "The run id (or a filter instead).")
        String id;

        @Mixin
        BatchFilterOptions filter;

        @Override
        protected void run(DroverClient client, Output out) {
            if (id == null) {
                filter.batch(client, out, "replay");
                return;
            }
            filter.requireNone();
            out.object(client.send("POST", path(id, "/replay"), Map.of()));
        }
    }

    /**
     * The filter of a batch cancel or replay ({@code POST /v1/runs/cancel|replay}). The count to
     * confirm is what the server answers to a confirm_count no filter can match (409
     * confirm_count_mismatch with details.matched): the same predicate as the batch's, nothing made.
     */
    static final class BatchFilterOptions {
        @Option(names = "--job", paramLabel = "<id-or-slug>", description = "Only runs of this job.")
        String job;

        @Option(names = "--status", paramLabel = "<status>", description = "Only runs in this state.")
        String status;

        @Option(names = "--queue", paramLabel = "<queue>", description = "Only runs of this queue.")
        String queue;

        @Option(names = "--created-after", paramLabel = "<time>", description = "Only runs made at or after this RFC 3339 time.")
        String createdAfter;

        @Option(names = "--created-before", paramLabel = "<time>", description = "Only runs made before this RFC 3339 time.")
        String createdBefore;

        @Option(names = "--yes", description = "Do it (without: print how many runs the filter matches and stop).")
        boolean yes;

        private Map<String, Object> filter() {
            Map<String, Object> f = new HashMap<>();
            if (job != null) {
                f.put("job", job);
            }
            if (status != null) {
                f.put("status", status);
            }
            if (queue != null) {
                f.put("queue", queue);
            }
            if (createdAfter != null) {
                f.put("created_after", createdAfter);
            }
            if (createdBefore != null) {
                f.put("created_before", createdBefore);
            }
            return f;
        }

        void requireNone() {
            if (!filter().isEmpty() || yes) {
                throw new UsageError("give either a run id or a filter (--job, --status, --queue, --created-after, "
                        + "--created-before), not both.");
            }
        }

        void batch(DroverClient client, Output out, String kind) {
            Map<String, Object> f = filter();
            if (f.isEmpty()) {
                throw new UsageError("give a run id, or a filter (--job, --status, --queue, --created-after, "
                        + "--created-before) to " + kind + " every run it matches.");
            }
            String path = "/v1/runs/" + kind;
            int matched;
            try {
                client.send("POST", path, Map.of("filter", f, "confirm_count", Integer.MAX_VALUE));
                throw new IllegalStateException("the server made a batch of " + Integer.MAX_VALUE + " runs");
            } catch (DroverApiException e) {
                if (!"confirm_count_mismatch".equals(e.code())) {
                    throw e;
                }
                matched = e.details().get("matched").asInt();
            }
            if (!yes) {
                out.line(matched + " runs match; run again with --yes to " + kind + " them.");
                return;
            }
            out.object(client.send("POST", path, Map.of("filter", f, "confirm_count", matched)));
            out.hint("Progress: GET /v1/batches/<batch_id>.");
        }
    }
}
