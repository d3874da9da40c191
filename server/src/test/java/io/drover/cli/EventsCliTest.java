package io.drover.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.testing.Api;
import io.drover.testing.TestServer;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code drover events tail}: prints the stream's events and stops after --count. */
class EventsCliTest {
    private static final String START = "0".repeat(33); // the start of the log: fence 0, nothing before it

    @Test
    void tailPrintsEventsFromTheStream() throws Exception {
        try (TestServer server = TestServer.start()) {
            Api api = new Api(server);
            assertThat(api.post("/v1/jobs", Map.of("slug", "tailed", "queue", "tq")).status()).isEqualTo(201);
            String run = api.post("/v1/jobs/tailed/trigger", Map.of()).json().get("id").asText();
            CliRunner cli = CliRunner.withFlags(server.baseUrl(), server.adminKey());

            var json = cli.run("events", "tail", "--after", START, "--count", "1", "--types", "run.*", "--json");
            assertThat(json.code()).as(json.err()).isZero();
            assertThat(json.json().get("type").asText()).isEqualTo("run.created");
            assertThat(json.json().get("data").get("run_id").asText()).isEqualTo(run);

            var text = cli.run("events", "tail", "--after", START, "--count", "1");
            assertThat(text.code()).as(text.err()).isZero();
            assertThat(text.out()).contains("run.created").contains("tailed").contains(run);

            var bad = cli.run("events", "tail", "--types", "Not A Type", "--count", "1");
            assertThat(bad.code()).isNotZero();
            assertThat(bad.err()).contains("types");
        }
    }
}
