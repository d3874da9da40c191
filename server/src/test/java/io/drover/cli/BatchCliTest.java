package io.drover.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.testing.Api;
import io.drover.testing.Await;
import io.drover.testing.DroverTest;
import io.drover.testing.TestServer;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code drover runs cancel|replay} with a filter: without --yes the count only, with it a batch. */
@DroverTest
class BatchCliTest {
    static TestServer server;
    static CliRunner cli;

    @BeforeAll
    static void start() {
        cli = CliRunner.withFlags(server.baseUrl(), server.adminKey());
    }

    @Test
    void withoutYesOnlyTheCountWithYesTheBatch() {
        cli.run("jobs", "create", "--slug", "bulk");
        for (int i = 0; i < 4; i++) {
            assertThat(cli.run("trigger", "bulk").code()).isZero();
        }
        var dry = cli.run("runs", "cancel", "--job", "bulk", "--status", "queued");
        assertThat(dry.code()).as(dry.err()).isZero();
        assertThat(dry.out()).contains("4 runs match").contains("--yes");
        Api api = new Api(server);
        assertThat(api.get("/v1/runs?job=bulk&status=queued").json().get("data")).hasSize(4);

        var done = cli.run("runs", "cancel", "--job", "bulk", "--status", "queued", "--yes", "--json");
        assertThat(done.code()).as(done.err()).isZero();
        assertThat(done.json().get("matched").asInt()).isEqualTo(4);
        String batch = done.json().get("batch_id").asText();
        Await.until("the batch is done", Duration.ofSeconds(30),
                () -> api.get("/v1/batches/" + batch).json().get("status").asText().equals("done"));
        assertThat(api.get("/v1/runs?job=bulk&status=canceled").json().get("data")).hasSize(4);

        var both = cli.run("runs", "cancel", "some-id", "--job", "bulk");
        assertThat(both.code()).isNotZero();
        var neither = cli.run("runs", "replay");
        assertThat(neither.code()).isNotZero();
        assertThat(neither.err()).contains("filter");
    }
}
