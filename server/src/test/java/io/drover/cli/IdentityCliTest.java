package io.drover.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.testing.DroverTest;
import io.drover.testing.TestServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

@DroverTest
class IdentityCliTest {
    static TestServer server;

    record Result(int code, String out, String err) {}

    static Result drover(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var env = java.util.Map.of("DROVER_URL", server.baseUrl(), "DROVER_API_KEY", server.adminKey());
        int code = new CommandLine(new DroverCli(env)).setOut(new PrintWriter(out)).setErr(new PrintWriter(err))
                .execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void keysMembersAndAuditFromTheCommandLine() {
        Result created = drover("keys", "create", "--name", "from-cli", "--role", "operator", "--json");
        assertThat(created.code()).as(created.err()).isZero();
        assertThat(created.out()).contains("drv_");
        var json = io.drover.http.Json.read(created.out());
        String id = json.get("id").asText();
        assertThat(drover("keys", "list").out()).contains(id).contains("from-cli")
                .doesNotContain(json.get("key").asText());
        assertThat(drover("keys", "rotate", id, "--grace-secs", "60").code()).isZero();
        assertThat(drover("keys", "revoke", id).code()).isZero();
        Result bad = drover("keys", "create", "--name", "x", "--role", "root");
        assertThat(bad.code()).isEqualTo(ExitCodes.SERVER_ERROR);
        assertThat(bad.err()).contains("role");
        assertThat(drover("keys", "revoke", "01a2010f-98a7-76c5-be70-9b7da82c1eb5").code()).isEqualTo(ExitCodes.NOT_FOUND);

        assertThat(drover("members", "invite", "--email", "cli@example.com", "--role", "viewer").code()).isZero();
        assertThat(drover("members", "list").code()).isZero();

        Result verify = drover("audit", "verify");
        assertThat(verify.code()).isZero();
        assertThat(verify.out()).startsWith("audit chain ok:");
        Result export = drover("audit", "export", "--action", "api_key.");
        assertThat(export.out().strip().split("\n")).hasSizeGreaterThanOrEqualTo(3);
    }
}
