package io.drover.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.testing.DroverTest;
import io.drover.testing.TestServer;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The exit-code scheme of {@link ExitCodes}: each failure class gets its code and a message on stderr. */
@DroverTest
class CliExitCodesTest {
    static TestServer server;
    static CliRunner cli;

    @BeforeAll
    static void start() {
        cli = CliRunner.withFlags(server.baseUrl(), server.adminKey());
    }

    @Test
    void notFoundIsFour() {
        var job = cli.run("jobs", "get", "no-such-job");
        assertThat(job.code()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(job.out()).isEmpty();
        assertThat(job.err()).contains("404", "not_found");

        assertThat(cli.run("runs", "get", UUID.randomUUID().toString()).code()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(cli.run("trigger", "no-such-job").code()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(cli.run("runs", "list", "--job", "no-such-job").code()).isEqualTo(ExitCodes.NOT_FOUND);
    }

    @Test
    void badKeyIsOneWithAHint() {
        var denied = CliRunner.withFlags(server.baseUrl(), "not-a-real-key-000000").run("jobs", "list");
        assertThat(denied.code()).isEqualTo(ExitCodes.SERVER_ERROR);
        assertThat(denied.err()).contains("401").contains("DROVER_API_KEY");
    }

    @Test
    void conflictAndValidationAreOneWithCodeAndDetails() {
        cli.run("jobs", "create", "--slug", "once");
        String id = cli.run("trigger", "once", "--json").json().get("id").asText();
        assertThat(cli.run("runs", "cancel", id).code()).isZero();
        var again = cli.run("runs", "cancel", id);
        assertThat(again.code()).isEqualTo(ExitCodes.SERVER_ERROR);
        assertThat(again.err()).contains("409");

        var invalid = cli.run("jobs", "create", "--slug", "Bad Slug");
        assertThat(invalid.code()).isEqualTo(ExitCodes.SERVER_ERROR);
        assertThat(invalid.err()).contains("422").contains("details:").contains("slug");
    }

    @Test
    void unreachableServerIsThree() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        var result = CliRunner.withFlags("http://127.0.0.1:" + closedPort, "any-key-0123456789").run("runs", "list");
        assertThat(result.code()).isEqualTo(ExitCodes.UNREACHABLE);
        assertThat(result.err()).contains("cannot reach the server at http://127.0.0.1:" + closedPort);
    }

    @Test
    void missingApiKeyIsTwoAndNamesBothWays() {
        var result = CliRunner.withEnv(Map.of("DROVER_URL", server.baseUrl())).raw("jobs", "list");
        assertThat(result.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(result.err()).contains("DROVER_API_KEY").contains("--api-key");
    }

    @Test
    void usageErrorsAreTwoAndSendNothing() {
        assertThat(cli.run("jobs", "list", "--no-such-flag").code()).isEqualTo(ExitCodes.USAGE);
        assertThat(cli.run("runs", "get").code()).isEqualTo(ExitCodes.USAGE);
        assertThat(cli.run("runs", "list", "--limit", "many").code()).isEqualTo(ExitCodes.USAGE);
        assertThat(cli.raw("jobs").code()).isEqualTo(ExitCodes.USAGE);
        assertThat(cli.raw("frobnicate").code()).isEqualTo(ExitCodes.USAGE);

        cli.run("jobs", "create", "--slug", "usage");
        var badJson = cli.run("trigger", "usage", "--payload", "{not json");
        assertThat(badJson.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(badJson.err()).contains("--payload is not valid JSON");
        var missingFile = cli.run("jobs", "create", "-f", "/no/such/file.json");
        assertThat(missingFile.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(missingFile.err()).contains("cannot read");
        assertThat(cli.run("runs", "list", "--job", "usage", "--json").json().get("data")).isEmpty();
    }

    @Test
    void helpDocumentsTheExitCodes() {
        for (String[] args : new String[][] {{"--help"}, {"jobs", "--help"}, {"runs", "list", "--help"},
                {"trigger", "--help"}}) {
            var help = cli.raw(args);
            assertThat(help.code()).isZero();
            assertThat(help.out()).contains("Exit codes:", "4  not found", "DROVER_API_KEY");
        }
    }
}
