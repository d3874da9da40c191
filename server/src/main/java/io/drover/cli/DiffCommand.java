package io.drover.cli;

import io.drover.client.DroverClient;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code drover diff -f}: what {@code drover apply -f} would change, without changing anything. */
@Command(name = "diff", mixinStandardHelpOptions = true,
        description = {"Show what `drover apply -f` would change, without changing anything.",
            "Lists new jobs and workflows, changed fields and steps, and with --prune what it would delete. Checks the workflows' references (unknown jobs or",
            "workflows) as the server will. Exits 0 when nothing would change and 1 when something would."},
        footer = ExitCodes.FOOTER)
final class DiffCommand extends ClientCommand {
    @Option(names = {"-f", "--file"}, required = true, paramLabel = "<file>",
            description = "Definition file (.yaml, .yml or .json); repeat for more; - reads stdin.")
    List<String> files;

    @Option(names = "--prune", description = "Also show what `apply --prune` would delete.")
    boolean prune;

    @Override
    protected void run(DroverClient client, Output out) {
        ApplyPlan plan = ApplyPlan.of(client, DefinitionFiles.definitions(files), prune);
        plan.describe().forEach(out::line);
        if (plan.changed()) {
            exitWith(ExitCodes.CHANGES);
        }
    }
}
