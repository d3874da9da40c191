package io.drover.cli;

import io.drover.DroverServer;
import io.drover.config.Config;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code drover server}: runs a node until SIGTERM/SIGINT, then stops gracefully. */
@Command(name = "server", mixinStandardHelpOptions = true,
        description = "Start the Drover server (embedded PostgreSQL unless DROVER_DATABASE_URL is set).")
public final class ServerCommand implements Callable<Integer> {
    @Option(names = "--port", description = "HTTP port (env DROVER_PORT, default 7070)")
    Integer port;

    @Option(names = "--data-dir", description = "Data folder for the embedded database and keys "
            + "(env DROVER_DATA_DIR, default ./drover-data)")
    Path dataDir;

    @Option(names = "--database-url", description = "External PostgreSQL 15+ (env DROVER_DATABASE_URL)")
    String databaseUrl;

    @Override
    public Integer call() throws Exception {
        Config config = Config.fromEnv(System.getenv());
        if (port != null) {
            config = config.withPort(port);
        }
        if (dataDir != null) {
            config = config.withDataDir(dataDir);
        }
        if (databaseUrl != null) {
            config = config.withDatabaseUrl(Optional.of(databaseUrl));
        }
        var problems = config.validate();
        if (!problems.isEmpty()) {
            System.err.println("drover: invalid configuration:");
            problems.forEach(p -> System.err.println("  - " + p));
            return 2;
        }
        DroverServer server = DroverServer.start(config);
        CountDownLatch stopped = new CountDownLatch(1);
        Runnable stop = () -> {
            synchronized (stopped) {
                if (stopped.getCount() > 0) {
                    server.close();
                    stopped.countDown();
                }
            }
        };
        // SIGTERM/SIGINT stop the node before the JVM's shutdown hooks run: the embedded
        // PostgreSQL registers its own hook, and it must not stop while requests still finish.
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), sig -> {
                    stop.run();
                    System.exit(0);
                });
            } catch (IllegalArgumentException e) {
                // signal not available here; the shutdown hook below still stops the node
            }
        }
        Runtime.getRuntime().addShutdownHook(new Thread(stop, "drover-shutdown"));
        stopped.await();
        return 0;
    }
}
