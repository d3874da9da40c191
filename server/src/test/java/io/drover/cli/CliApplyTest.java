package io.drover.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
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
    static Api api;

    @BeforeAll
    static void start() {
        cli = CliRunner.withFlags(server.baseUrl(), server.adminKey());
        api = new Api(server);
        api.post("/v1/jobs", Map.of("slug", "charge"));
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
        assertThat(diff.code()).as(diff.err()).isEqualTo(ExitCodes.CHANGES);
        assertThat(diff.out()).contains("+ workflow checkout (new, 2 steps)").contains("+ workflow nap (new, 1 steps)");

        var applied = cli.run("apply", "-f", file.toString());
        assertThat(applied.code()).as(applied.err()).isZero();
        assertThat(applied.out()).contains("+ created workflow checkout version 1");

        var same = cli.run("diff", "-f", file.toString());
        assertThat(same.out()).contains("= workflow checkout unchanged (version 1)");
        assertThat(same.code()).as(same.err()).isZero();
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

    @Test
    void jobsWithSchedulesAndWorkflowsApplyFromOneFileAndOnlyChangesMakeVersions(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("all.yaml");
        Files.writeString(file, """
                kind: job
                slug: nightly-report
                queue: reports
                max_attempts: 4
                schedule: {cron: "0 2 * * *", timezone: Europe/Paris}
                ---
                kind: workflow
                slug: report-flow
                steps:
                  - {id: build, job: nightly-report}
                ---
                kind: job
                slug: cleanup
                """);
        var diff = cli.run("diff", "-f", file.toString());
        assertThat(diff.code()).as(diff.err()).isEqualTo(ExitCodes.CHANGES);
        // The workflow refers to a job that only the file defines: that is fine, apply creates the job first.
        assertThat(diff.out()).contains("+ job nightly-report (new)", "+ job cleanup (new)",
                "+ workflow report-flow (new, 1 steps)");

        var applied = cli.run("apply", "-f", file.toString());
        assertThat(applied.code()).as(applied.err()).isZero();
        assertThat(applied.out()).contains("+ created job nightly-report version 1", "+ created job cleanup version 1",
                "+ created workflow report-flow version 1");
        JsonNode job = api.get("/v1/jobs/nightly-report").json();
        assertThat(job.path("schedule").path("cron").asText()).isEqualTo("0 2 * * *");
        assertThat(job.path("schedule").path("timezone").asText()).isEqualTo("Europe/Paris");
        assertThat(job.path("max_attempts").asInt()).isEqualTo(4);

        // Applied again unchanged: nothing to do, no new version, and diff says so with exit 0.
        var again = cli.run("apply", "-f", file.toString());
        assertThat(again.out()).contains("= job nightly-report unchanged (version 1)",
                "= workflow report-flow unchanged (version 1)");
        var none = cli.run("diff", "-f", file.toString());
        assertThat(none.code()).as(none.out() + none.err()).isZero();
        assertThat(api.get("/v1/jobs/nightly-report").json().path("version").asInt()).isEqualTo(1);

        // A changed schedule is one new version of the job.
        Files.writeString(file, Files.readString(file).replace("0 2 * * *", "30 3 * * *"));
        var changed = cli.run("diff", "-f", file.toString());
        assertThat(changed.code()).isEqualTo(ExitCodes.CHANGES);
        assertThat(changed.out()).contains("~ job nightly-report (version 1 -> 2)").contains("~ schedule:");
        assertThat(cli.run("apply", "-f", file.toString()).out()).contains("~ updated job nightly-report version 2");
        assertThat(api.get("/v1/jobs/nightly-report").json().path("schedule").path("cron").asText())
                .isEqualTo("30 3 * * *");
    }

    @Test
    void pruneDeletesOnlyWhatEarlierAppliesCreatedAndTheFilesNoLongerName(@TempDir Path dir) throws Exception {
        api.post("/v1/jobs", Map.of("slug", "hand-made"));
        Path file = dir.resolve("p.yaml");
        Files.writeString(file, """
                - {kind: job, slug: keep-me}
                - {kind: job, slug: drop-me}
                - {kind: workflow, slug: drop-flow, steps: [{id: a, job: drop-me}]}
                """);
        assertThat(cli.run("apply", "-f", file.toString()).code()).isZero();
        Files.writeString(file, "- {kind: job, slug: keep-me}\n");

        var diff = cli.run("diff", "--prune", "-f", file.toString());
        assertThat(diff.code()).isEqualTo(ExitCodes.CHANGES);
        assertThat(diff.out()).contains("- workflow drop-flow", "- job drop-me").doesNotContain("hand-made")
                .doesNotContain("- job charge");
        // Without --prune nothing would change.
        assertThat(cli.run("diff", "-f", file.toString()).code()).isZero();

        var pruned = cli.run("apply", "--prune", "-f", file.toString());
        assertThat(pruned.code()).as(pruned.err()).isZero();
        assertThat(pruned.out()).contains("- deleted workflow drop-flow", "- deleted job drop-me");
        assertThat(api.get("/v1/jobs/drop-me").status()).isEqualTo(404);
        assertThat(api.get("/v1/workflows/drop-flow").status()).isEqualTo(404);
        assertThat(api.get("/v1/jobs/keep-me").status()).isEqualTo(200);
        assertThat(api.get("/v1/jobs/hand-made").status()).isEqualTo(200);
        assertThat(api.get("/v1/jobs/charge").status()).isEqualTo(200);
    }

    @Test
    void unknownReferencesFailDiffAndApplyBeforeAnythingIsWritten(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("refs.yaml");
        Files.writeString(file, """
                kind: job
                slug: fine-job
                ---
                slug: broken-flow
                steps:
                  - {id: a, job: no-such-job}
                  - {id: b, type: sub_workflow, workflow: no-such-flow, depends_on: [a]}
                """);
        var diff = cli.run("diff", "-f", file.toString());
        assertThat(diff.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(diff.err()).contains("step 'a' refers to unknown job 'no-such-job'")
                .contains("step 'b' refers to unknown workflow 'no-such-flow'");
        var apply = cli.run("apply", "-f", file.toString());
        assertThat(apply.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(api.get("/v1/jobs/fine-job").status()).isEqualTo(404);

        Files.writeString(file, "kind: cron\nslug: x\n");
        var kind = cli.run("diff", "-f", file.toString());
        assertThat(kind.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(kind.err()).contains("kind must be job or workflow");
    }
}
