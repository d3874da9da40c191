package io.drover.cli;

import io.drover.client.DroverClient;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code drover diff -f}: what {@code drover apply -f} would change, without changing anything. */
@Command(name = "diff", mixinStandardHelpOptions = true,
        description = "Show what `drover apply -f` would change: new workflows, changed fields and steps.",
        footer = ExitCodes.FOOTER)
final class DiffCommand extends ClientCommand {
    @Option(names = {"-f", "--file"}, required = true, paramLabel = "<file>",
            description = "Definition file (.yaml, .yml or .json); repeat for more; - reads stdin.")
    List<String> files;

    @Override
    protected void run(DroverClient client, Output out) {
        for (var def : DefinitionFiles.read(files)) {
            WorkflowDiff.of(client, def).describe().forEach(out::line);
        }
    }
}
