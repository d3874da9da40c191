package io.drover.cli;

import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code drover} command: the server and the client commands in one binary. Client commands
 * read {@code DROVER_URL} and {@code DROVER_API_KEY} from the environment this object was made with.
 */
@Command(name = "drover", mixinStandardHelpOptions = true, version = "drover 0.1.0",
        description = "Drover: jobs, runs, schedules and workflows on PostgreSQL.",
        subcommands = {ServerCommand.class, JobsCommand.class, TriggerCommand.class, RunsCommand.class,
                KeysCommand.class, MembersCommand.class, AuditCommand.class, ApplyCommand.class, DiffCommand.class,
                EventsCommand.class, UsersCommand.class, WorkflowsCommand.class},
        footer = ExitCodes.FOOTER)
public final class DroverCli implements Runnable {
    private final Map<String, String> env;

    @Spec
    CommandSpec spec;

    /** Creates the command over the process environment. */
    public DroverCli() {
        this(System.getenv());
    }

    /**
     * Creates the command over a given environment, so that tests need not change the process's.
     *
     * @param env the variables client commands read
     */
    public DroverCli(Map<String, String> env) {
        this.env = Map.copyOf(env);
    }

    Map<String, String> env() {
        return env;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /**
     * Runs the command line and returns its exit code (see {@link ExitCodes}).
     *
     * @param args the arguments after {@code drover}
     * @return the exit code
     */
    public static int execute(String... args) {
        return new CommandLine(new DroverCli()).execute(args);
    }
}
