package io.drover.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.client.DroverClient;
import io.drover.client.NonRetryableException;
import io.drover.client.Worker;
import io.drover.testing.Api;
import io.drover.testing.Await;
import io.drover.testing.DroverTest;
import io.drover.testing.TestServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code jobs update|delete}, {@code trigger --wait} and the idempotent re-trigger notice,
 * {@code workflows list|trigger|runs}, {@code runs tail}, and help texts whose summaries are whole.
 */
@DroverTest
class CliWorkCommandsTest {
    static TestServer server;
    static Api api;
    static CliRunner cli;
    static Worker worker;

    @BeforeAll
    static void start() {
        api = new Api(server);
        cli = CliRunner.withFlags(server.baseUrl(), server.adminKey());
        api.post("/v1/jobs", Map.of("slug", "echo", "queue", "cli-q"));
        api.post("/v1/jobs", Map.of("slug", "broken", "queue", "cli-q", "max_attempts", 1));
        DroverClient client = DroverClient.builder().baseUrl(server.baseUrl()).apiKey(server.adminKey()).build();
        worker = Worker.builder().client(client).queue("cli-q").claimWait(Duration.ofSeconds(1))
                .handler("echo", (ctx, payload) -> Map.of("echo", payload))
                .handler("broken", (ctx, payload) -> {
                    throw new NonRetryableException("it is broken");
                })
                .build();
        worker.start();
    }

    @AfterAll
    static void stop() {
        worker.close();
    }

    @Test
    void jobsUpdateChangesOnlyTheGivenFieldsAndDeleteRemovesTheJob() {
        api.post("/v1/jobs", Map.of("slug", "editable", "queue", "ed-q", "max_attempts", 2));
        var updated = cli.run("jobs", "update", "editable", "--max-attempts", "7", "--cron", "0 1 * * *", "--json");
        assertThat(updated.code()).as(updated.err()).isZero();
        JsonNode job = api.get("/v1/jobs/editable").json();
        assertThat(job.path("max_attempts").asInt()).isEqualTo(7);
        assertThat(job.path("queue").asText()).isEqualTo("ed-q");
        assertThat(job.path("schedule").path("cron").asText()).isEqualTo("0 1 * * *");
        assertThat(job.path("version").asInt()).isEqualTo(2);

        var unscheduled = cli.run("jobs", "update", "editable", "--no-schedule");
        assertThat(unscheduled.code()).as(unscheduled.err()).isZero();
        assertThat(api.get("/v1/jobs/editable").json().path("schedule").isNull()).isTrue();

        var nothing = cli.run("jobs", "update", "editable");
        assertThat(nothing.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(nothing.err()).contains("nothing to change");
        assertThat(cli.run("jobs", "update", "no-such-job", "--priority", "1").code()).isEqualTo(ExitCodes.NOT_FOUND);

        var deleted = cli.run("jobs", "delete", "editable");
        assertThat(deleted.code()).as(deleted.err()).isZero();
        assertThat(deleted.out()).contains("deleted job editable");
        assertThat(api.get("/v1/jobs/editable").status()).isEqualTo(404);
        assertThat(cli.run("jobs", "delete", "editable").code()).isEqualTo(ExitCodes.NOT_FOUND);
    }

    @Test
    void triggerSaysWhenAnIdempotencyKeyReturnedTheFirstRunAndWaitsForTheEnd() {
        var first = cli.run("trigger", "echo", "--payload", "{\"n\": 1}", "--idempotency-key", "once", "--json");
        assertThat(first.code()).as(first.err()).isZero();
        assertThat(first.err()).doesNotContain("Idempotent");
        var again = cli.run("trigger", "echo", "--payload", "{\"n\": 1}", "--idempotency-key", "once", "--json");
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(again.json().get("id").asText()).isEqualTo(first.json().get("id").asText());
        assertThat(again.err()).contains("Idempotent trigger: run " + first.json().get("id").asText())
                .contains("no new run");

        var waited = cli.run("trigger", "echo", "--payload", "{\"n\": 2}", "--wait", "--json");
        assertThat(waited.code()).as(waited.err()).isZero();
        assertThat(waited.json().get("status").asText()).isEqualTo("completed");
        assertThat(waited.json().get("result").get("echo").get("n").asInt()).isEqualTo(2);

        var failed = cli.run("trigger", "broken", "--wait");
        assertThat(failed.code()).isEqualTo(ExitCodes.SERVER_ERROR);
        assertThat(failed.err()).contains("ended").contains("it is broken");
    }

    @Test
    void workflowsAreListedTriggeredAwaitedAndTheirRunsListed() {
        api.post("/v1/workflows", Map.of("slug", "cli-flow", "steps", List.of(
                Map.of("id", "a", "job", "echo", "payload", Map.of("n", "{{input.n}}")))));
        var list = cli.run("workflows", "list");
        assertThat(list.code()).as(list.err()).isZero();
        assertThat(list.out()).contains("SLUG").contains("cli-flow");

        var run = cli.run("workflows", "trigger", "cli-flow", "--input", "{\"n\": 5}", "--wait", "--json");
        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.json().get("status").asText()).isEqualTo("completed");
        String id = run.json().get("id").asText();

        var keyed = cli.run("workflows", "trigger", "cli-flow", "--idempotency-key", "k1", "--json");
        var keyedAgain = cli.run("workflows", "trigger", "cli-flow", "--idempotency-key", "k1", "--json");
        assertThat(keyedAgain.json().get("id").asText()).isEqualTo(keyed.json().get("id").asText());
        assertThat(keyed.err()).doesNotContain("Idempotent");
        assertThat(keyedAgain.err()).contains("Idempotent trigger: workflow run");

        var runs = cli.run("workflows", "runs", "cli-flow", "--status", "completed");
        assertThat(runs.code()).as(runs.err()).isZero();
        assertThat(runs.out()).contains(id).contains("completed");
        assertThat(cli.run("workflows", "trigger", "no-such-flow").code()).isEqualTo(ExitCodes.NOT_FOUND);
    }

    @Test
    void runsTailFollowsOneRunUntilItEnds() throws Exception {
        api.post("/v1/jobs", Map.of("slug", "later", "queue", "later-q"));
        String run = api.post("/v1/jobs/later/trigger", Map.of("payload", Map.of("x", 1))).json().get("id").asText();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CompletableFuture<Integer> tail = CompletableFuture.supplyAsync(() -> new CommandLine(new DroverCli(Map.of()))
                .setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true))
                .execute("runs", "tail", run, "--url", server.baseUrl(), "--api-key", server.adminKey()));
        Await.until("the tail follows the run", Duration.ofSeconds(30), () -> err.toString().contains("Following run"));
        // The run ends once a worker for its queue is there; the tail, already following, sees it and exits.
        DroverClient client = DroverClient.builder().baseUrl(server.baseUrl()).apiKey(server.adminKey()).build();
        try (Worker later = Worker.builder().client(client).queue("later-q").claimWait(Duration.ofSeconds(1))
                .handler("later", (ctx, p) -> "done").build()) {
            later.start();
            assertThat(tail.get(60, TimeUnit.SECONDS)).as(err.toString()).isZero();
            assertThat(out.toString()).contains(run).contains("later");
            assertThat(out.toString().strip().lines().reduce((x, y) -> y).orElse("")).contains("run.completed");
        }
        // A run that already ended: the tail says so and exits at once.
        var ended = cli.run("runs", "tail", run);
        assertThat(ended.code()).as(ended.err()).isZero();
        assertThat(ended.err()).contains("has ended: completed");
    }

    @Test
    void helpListsEveryCommandWithAWholeSummary() {
        for (String[] command : List.of(new String[] {"--help"}, new String[] {"jobs", "--help"},
                new String[] {"runs", "--help"}, new String[] {"workflows", "--help"})) {
            var help = cli.raw(command);
            assertThat(help.code()).isZero();
            List<String> summaries = commandSummaries(help.out());
            assertThat(summaries).as(help.out()).isNotEmpty();
            for (String summary : summaries) {
                assertThat(summary).as("summary cut in `drover %s`", String.join(" ", command))
                        .matches("(?s).*[.)]$");
            }
        }
        var top = cli.raw("--help").out();
        assertThat(top).contains("workflows").contains("apply").contains("diff");
        assertThat(cli.raw("jobs", "--help").out()).contains("update").contains("delete");
        assertThat(cli.raw("runs", "--help").out()).contains("tail");
    }

    /** The entries of the "Commands:" section, each with its wrapped lines joined. */
    private static List<String> commandSummaries(String help) {
        List<String> out = new ArrayList<>();
        boolean in = false;
        for (String line : help.lines().toList()) {
            if (line.equals("Commands:")) {
                in = true;
            } else if (in && line.isBlank()) {
                break;
            } else if (in && line.startsWith("    ")) {
                out.set(out.size() - 1, out.get(out.size() - 1) + " " + line.strip());
            } else if (in) {
                out.add(line.strip());
            }
        }
        return out;
    }
}
