package io.drover.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code drover} command: the server and the client commands in one binary. */
@Command(name = "drover", mixinStandardHelpOptions = true, version = "drover 0.1.0",
        description = "Drover: jobs, runs and schedules on PostgreSQL.",
        subcommands = {ServerCommand.class})
public final class DroverCli implements Runnable {
    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static int execute(String... args) {
        return new CommandLine(new DroverCli()).execute(args);
    }
}
