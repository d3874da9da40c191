package io.drover.cli;

import io.drover.client.DroverClient;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code drover apply -f}: creates or changes the jobs and workflows defined in YAML or JSON files.
 * Every definition and reference is checked first; an unchanged one makes no new version.
 */
@Command(name = "apply", mixinStandardHelpOptions = true,
        description = {"Create or update jobs and workflows from YAML or JSON files.",
            "A file holds one definition, a list, or several YAML documents; each is a job (kind: job) or a",
            "workflow (kind: workflow, the default). Jobs go first, then workflows.",
            "Unchanged definitions are left alone; a job's fields that a file leaves out keep their values.",
            "References to unknown jobs or workflows stop the apply before anything is written.",
            "What apply creates is tagged drover-apply; --prune deletes those that the files no longer name.",
            "Run `drover diff -f` first to see what would change."},
        footer = ExitCodes.FOOTER)
final class ApplyCommand extends ClientCommand {
    @Option(names = {"-f", "--file"}, required = true, paramLabel = "<file>",
            description = "Definition file (.yaml, .yml or .json); repeat for more; - reads stdin.")
    List<String> files;

    @Option(names = "--prune",
            description = "Also delete the jobs and workflows that earlier applies created and the files no longer name.")
    boolean prune;

    @Override
    protected void run(DroverClient client, Output out) {
        ApplyPlan.of(client, DefinitionFiles.definitions(files), prune).apply(client, out);
    }
}
