package io.drover.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.testing.DroverTest;
import io.drover.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client commands against a real server: what they send, what they print, exit code 0. */
@DroverTest
class CliCommandsTest {
    static TestServer server;
    static CliRunner cli;

    @BeforeAll
    static void start() {
        cli = CliRunner.withFlags(server.baseUrl(), server.adminKey());
    }

    @Test
    void createsJobFromFlagsAndShowsIt() {
        var created = cli.run("jobs", "create", "--slug", "mail", "--queue", "email", "--max-attempts", "5",
                "--priority", "7", "--timeout-secs", "30", "--tag", "a", "--tag", "b");
        assertThat(created.code()).as(created.err()).isZero();
        assertThat(created.out()).containsPattern("(?m)^slug:\\s+mail$").containsPattern("(?m)^queue:\\s+email$");

        var got = cli.run("jobs", "get", "mail", "--json");
        assertThat(got.code()).isZero();
        JsonNode job = got.json();
        assertThat(job.get("max_attempts").asInt()).isEqualTo(5);
        assertThat(job.get("priority").asInt()).isEqualTo(7);
        assertThat(job.get("timeout_secs").asInt()).isEqualTo(30);
        assertThat(job.get("tags")).extracting(JsonNode::asText).containsExactly("a", "b");
    }

    @Test
    void flagsOverrideInlineJsonWhichOverridesTheFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("job.json");
        Files.writeString(file, """
                {"slug": "layered", "name": "from file", "queue": "file-q", "max_attempts": 2,
                 "retry": {"strategy": "fixed", "initial_delay_ms": 1000}}""");
        var created = cli.run("jobs", "create", "-f", file.toString(),
                "--data", "{\"queue\": \"data-q\", \"max_attempts\": 4}", "--queue", "flag-q",
                "--interval-secs", "3600", "--json");
        assertThat(created.code()).as(created.err()).isZero();
        JsonNode job = created.json();
        assertThat(job.get("name").asText()).isEqualTo("from file");
        assertThat(job.get("max_attempts").asInt()).isEqualTo(4);
        assertThat(job.get("queue").asText()).isEqualTo("flag-q");
        assertThat(job.get("retry").get("strategy").asText()).isEqualTo("fixed");
        assertThat(job.get("schedule").get("interval_secs").asLong()).isEqualTo(3600);
    }

    @Test
    void listsJobsAsAlignedTableAndAsJson() {
        cli.run("jobs", "create", "--slug", "listed-a");
        cli.run("jobs", "create", "--slug", "listed-b", "--cron", "0 * * * *");

        var table = cli.run("jobs", "list", "--limit", "500");
        assertThat(table.code()).as(table.err()).isZero();
        String[] lines = table.out().split("\n");
        assertThat(lines[0]).startsWith("SLUG").contains("EXECUTION", "QUEUE", "VERSION", "SCHEDULE", "CREATED");
        int queueColumn = lines[0].indexOf("QUEUE");
        for (String line : lines) {
            assertThat(line.substring(queueColumn - 2, queueColumn)).as(line).isBlank();
        }
        assertThat(table.out()).containsPattern("(?m)^listed-b\\s+worker\\s+default\\s+1\\s+3\\s+0 \\* \\* \\* \\*\\s+\\d{4}-");

        var json = cli.run("jobs", "list", "--json");
        assertThat(json.code()).isZero();
        assertThat(json.json().get("data")).extracting(j -> j.get("slug").asText()).contains("listed-a", "listed-b");
        assertThat(json.json().has("next_cursor")).isTrue();
    }

    @Test
    void triggersWithPayloadAndIdempotencyKey() {
        cli.run("jobs", "create", "--slug", "trig");
        var first = cli.run("trigger", "trig", "--payload", "{\"n\": 1}", "--idempotency-key", "k-1", "--json");
        assertThat(first.code()).as(first.err()).isZero();
        assertThat(first.json().get("status").asText()).isEqualTo("queued");
        assertThat(first.json().get("payload").get("n").asInt()).isEqualTo(1);

        var again = cli.run("trigger", "trig", "--payload", "{\"n\": 2}", "--idempotency-key", "k-1", "--json");
        assertThat(again.json().get("id")).isEqualTo(first.json().get("id"));

        var delayed = cli.run("trigger", "trig", "--delay-ms", "600000");
        assertThat(delayed.code()).isZero();
        assertThat(delayed.out()).containsPattern("(?m)^status:\\s+delayed$").containsPattern("(?m)^payload:\\s+-$");
    }

    @Test
    void listsRunsWithFiltersAndFollowsCursors() {
        cli.run("jobs", "create", "--slug", "many");
        cli.run("jobs", "create", "--slug", "other");
        for (int i = 0; i < 5; i++) {
            assertThat(cli.run("trigger", "many").code()).isZero();
        }
        cli.run("trigger", "other");

        var table = cli.run("runs", "list", "--job", "many");
        assertThat(table.code()).as(table.err()).isZero();
        String[] lines = table.out().split("\n");
        assertThat(lines[0]).matches("ID\\s+JOB\\s+STATUS\\s+ATTEMPT\\s+CREATED");
        assertThat(lines).hasSize(6);
        assertThat(lines[1]).matches("[0-9a-f-]{36}\\s+many\\s+queued\\s+0/3\\s+\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");

        var onePage = cli.run("runs", "list", "--job", "many", "--limit", "2");
        assertThat(onePage.out().split("\n")).hasSize(3);
        assertThat(onePage.err()).contains("--cursor ", "--all");

        var all = cli.run("runs", "list", "--job", "many", "--limit", "2", "--all", "--json");
        assertThat(all.code()).isZero();
        assertThat(all.json().get("data")).hasSize(5);
        assertThat(all.json().get("next_cursor").isNull()).isTrue();

        var none = cli.run("runs", "list", "--job", "many", "--status", "completed");
        assertThat(none.code()).isZero();
        assertThat(none.out()).isEmpty();
        assertThat(none.err()).contains("No runs found");
    }

    @Test
    void getsEventsCancelsAndReplaysARun() {
        cli.run("jobs", "create", "--slug", "life");
        String id = cli.run("trigger", "life", "--json").json().get("id").asText();

        var got = cli.run("runs", "get", id);
        assertThat(got.code()).isZero();
        assertThat(got.out()).containsPattern("(?m)^id:\\s+" + id + "$").containsPattern("(?m)^job_slug:\\s+life$");

        var canceled = cli.run("runs", "cancel", id, "--json");
        assertThat(canceled.code()).as(canceled.err()).isZero();
        assertThat(canceled.json().get("status").asText()).isEqualTo("canceled");

        var events = cli.run("runs", "events", id);
        assertThat(events.code()).isZero();
        assertThat(events.out().split("\n")[0]).matches("TIME\\s+TYPE\\s+FROM\\s+TO\\s+ATTEMPT\\s+MESSAGE");
        assertThat(events.out()).contains("created", "canceled");
        assertThat(cli.run("runs", "events", id, "--json").json().get("data")).hasSize(2);

        var replayed = cli.run("runs", "replay", id, "--json");
        assertThat(replayed.code()).as(replayed.err()).isZero();
        assertThat(replayed.json().get("status").asText()).isEqualTo("queued");
        assertThat(replayed.json().get("id").asText()).isNotEqualTo(id);
    }

    @Test
    void readsUrlAndKeyFromTheEnvironment() {
        var env = CliRunner.withEnv(Map.of("DROVER_URL", server.baseUrl(), "DROVER_API_KEY", server.adminKey()));
        var listed = env.raw("jobs", "list", "--json");
        assertThat(listed.code()).as(listed.err()).isZero();
        assertThat(listed.json().get("data").isArray()).isTrue();
    }
}
