package io.drover.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.client.DroverClient;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code drover apply -f}: creates or changes the workflows defined in YAML or JSON files. Each
 * definition is checked by the server first; an unchanged one makes no new version.
 */
@Command(name = "apply", mixinStandardHelpOptions = true,
        description = {"Create or update workflows from YAML or JSON files (one definition, a list, or",
            "several YAML documents). Unchanged definitions are left alone. Run `drover diff -f` first to see",
            "what would change."},
        footer = ExitCodes.FOOTER)
final class ApplyCommand extends ClientCommand {
    @Option(names = {"-f", "--file"}, required = true, paramLabel = "<file>",
            description = "Definition file (.yaml, .yml or .json); repeat for more; - reads stdin.")
    List<String> files;

    @Override
    protected void run(DroverClient client, Output out) {
        List<WorkflowDiff> diffs = DefinitionFiles.read(files).stream().map(d -> WorkflowDiff.of(client, d)).toList();
        for (WorkflowDiff d : diffs) {
            if (!d.changed()) {
                out.line("= workflow " + d.slug + " unchanged (version " + d.current.get("version").asInt() + ")");
                continue;
            }
            JsonNode saved = d.isNew() ? client.send("POST", "/v1/workflows", d.body())
                    : client.send("PATCH", "/v1/workflows/" + JsonArgs.segment(d.slug), d.body());
            out.line((d.isNew() ? "+ created" : "~ updated") + " workflow " + d.slug + " version "
                    + saved.get("version").asInt());
        }
    }
}
