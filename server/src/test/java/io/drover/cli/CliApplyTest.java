package io.drover.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.testing.Api;
import io.drover.testing.DroverTest;
import io.drover.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code drover diff -f} and {@code drover apply -f} with YAML and JSON definitions. */
@DroverTest
class CliApplyTest {
    static TestServer server;
    static CliRunner cli;

    @BeforeAll
    static void start() {
        cli = CliRunner.withFlags(server.baseUrl(), server.adminKey());
        new Api(server).post("/v1/jobs", Map.of("slug", "charge"));
    }

    @Test
    void diffThenApplyYamlMakesVersionsOnlyForChanges(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("flow.yaml");
        Files.writeString(file, """
                slug: checkout
                description: take the money
                steps:
                  - id: approve
                    type: approval
                    expires_in_secs: 3600
                  - id: charge
                    job: charge
                    depends_on: [approve]
                    payload: {amount: "{{input.amount}}"}
                ---
                slug: nap
                steps:
                  - {id: wait, type: sleep, duration_secs: 5}
                """);
        var diff = cli.run("diff", "-f", file.toString());
        assertThat(diff.code()).as(diff.err()).isZero();
        assertThat(diff.out()).contains("+ workflow checkout (new, 2 steps)").contains("+ workflow nap (new, 1 steps)");

        var applied = cli.run("apply", "-f", file.toString());
        assertThat(applied.code()).as(applied.err()).isZero();
        assertThat(applied.out()).contains("+ created workflow checkout version 1");

        assertThat(cli.run("diff", "-f", file.toString()).out()).contains("= workflow checkout unchanged (version 1)");
        assertThat(cli.run("apply", "-f", file.toString()).out()).contains("= workflow checkout unchanged");

        Path json = dir.resolve("flow.json");
        Files.writeString(json, """
                {"slug": "checkout", "steps": [
                  {"id": "approve", "type": "approval", "expires_in_secs": 60},
                  {"id": "charge", "job": "charge", "depends_on": ["approve"], "payload": {"amount": "{{input.amount}}"}},
                  {"id": "receipt", "type": "sleep", "duration_secs": 1, "depends_on": ["charge"]}]}
                """);
        var changed = cli.run("diff", "-f", json.toString());
        assertThat(changed.out()).contains("~ workflow checkout (version 1 -> 2)")
                .contains("~ description: \"take the money\" -> null")
                .contains("~ step approve: expires_in_secs: 3600 -> 60")
                .contains("+ step receipt");
        assertThat(cli.run("apply", "-f", json.toString()).out()).contains("~ updated workflow checkout version 2");
    }

    @Test
    void badDefinitionsAreReportedAndNothingIsApplied(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("bad.yaml");
        Files.writeString(file, """
                slug: loop
                steps:
                  - {id: a, job: charge, depends_on: [b]}
                  - {id: b, job: charge, depends_on: [a]}
                """);
        var r = cli.run("apply", "-f", file.toString());
        assertThat(r.code()).isNotZero();
        assertThat(r.err()).contains("cycle").contains("b -> a -> b");
        Path broken = dir.resolve("broken.yaml");
        Files.writeString(broken, "slug: [unclosed\n");
        var b = cli.run("diff", "-f", broken.toString());
        assertThat(b.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(b.err()).contains("not valid YAML or JSON");
    }
}
