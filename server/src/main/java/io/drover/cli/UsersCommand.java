package io.drover.cli;

import io.drover.DroverServer;
import io.drover.access.Role;
import io.drover.config.Config;
import io.drover.crypto.Keys;
import io.drover.identity.ApiKeys;
import io.drover.identity.Passwords;
import io.drover.identity.UserAdmin;
import io.drover.redact.Redactions;
import io.drover.store.Db;
import io.drover.store.EmbeddedDatabase;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code drover users create}: a user made directly on the server's database, for the first owner
 * and for recovery. It reads the settings {@code drover server} reads and works whether that
 * server runs or not: with an external database it connects to it; with the embedded one it
 * connects to the PostgreSQL the running server started (its {@code postmaster.pid} names the
 * port), or starts that database itself for the time of the command.
 */
@Command(name = "users", mixinStandardHelpOptions = true,
        description = "Manage users on the server's database directly (first owner, recovery).",
        subcommands = {UsersCommand.Create.class}, footer = ExitCodes.FOOTER)
public final class UsersCommand {
    @ParentCommand
    DroverCli root;

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Create a user with a role in a project (or, for an existing email, set its password"
                    + " and raise its role). The password is read from standard input.")
    static final class Create implements Callable<Integer> {
        @ParentCommand
        UsersCommand parent;

        @Option(names = "--email", required = true, description = "The user's email")
        String email;

        @Option(names = "--role", required = true, description = "viewer, operator, admin or owner")
        String role;

        @Option(names = "--project", description = "Project id or slug (default: default)")
        String project;

        @Option(names = "--password-stdin", required = true,
                description = "Read the password from standard input (one line)")
        boolean passwordStdin;

        @Option(names = "--data-dir", description = "Data folder of the embedded database and keys "
                + "(env DROVER_DATA_DIR, default ./drover-data)")
        Path dataDir;

        @Option(names = "--database-url", description = "External PostgreSQL (env DROVER_DATABASE_URL)")
        String databaseUrl;

        @Override
        public Integer call() throws Exception {
            Role r;
            try {
                r = Role.fromDb(role.strip().toLowerCase(java.util.Locale.ROOT));
            } catch (RuntimeException e) {
                r = null;
            }
            if (r == null) {
                System.err.println("drover: --role must be one of viewer, operator, admin, owner");
                return ExitCodes.USAGE;
            }
            String password = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            if (password == null || password.isEmpty()) {
                System.err.println("drover: no password on standard input (echo it, or pipe it from a file)");
                return ExitCodes.USAGE;
            }
            Config config = Config.fromEnv(parent.root.env());
            if (dataDir != null) {
                config = config.withDataDir(dataDir);
            }
            if (databaseUrl != null) {
                config = config.withDatabaseUrl(Optional.of(databaseUrl));
            }
            List<String> problems = config.validate();
            if (!problems.isEmpty()) {
                System.err.println("drover: invalid configuration:");
                problems.forEach(p -> System.err.println("  - " + p));
                return ExitCodes.USAGE;
            }
            EmbeddedDatabase embedded = null;
            Db db;
            if (config.databaseUrl().isPresent()) {
                DroverServer.Jdbc j = DroverServer.Jdbc.parse(config.databaseUrl().get());
                db = new Db(j.url(), j.user(), j.password(), 2);
            } else {
                Optional<Integer> running = runningPort(config.dataDir().resolve("pg"));
                if (running.isPresent()) {
                    db = new Db("jdbc:postgresql://127.0.0.1:" + running.get() + "/" + EmbeddedDatabase.DATABASE,
                            "postgres", null, 2);
                } else {
                    embedded = EmbeddedDatabase.start(config.dataDir());
                    db = new Db(embedded.jdbcUrl(EmbeddedDatabase.DATABASE), embedded.user(), null, 2);
                }
            }
            try {
                db.migrate();
                Keys keys = Keys.load(config.secretsKey(), config.dataDir());
                // a database no server has started yet gets the project 'default' (and its admin key) first
                new ApiKeys(db, keys).bootstrap(config.adminApiKey(), config.dataDir());
                UserAdmin admin = new UserAdmin(db, new Passwords(),
                        new io.drover.audit.AuditLog(keys, new Redactions(db)));
                UserAdmin.Result res = admin.createOrReset(email, password, r, project);
                System.out.println((res.created() ? "created user " : "updated user ") + res.user().email() + " ("
                        + res.user().id() + ") as " + res.role().db() + " of project " + res.project().slug()
                        + "; sign in at /ui/login");
                return ExitCodes.OK;
            } catch (io.drover.errors.DomainException e) {
                System.err.println("drover: " + e.getMessage());
                return ExitCodes.SERVER_ERROR;
            } finally {
                db.close();
                if (embedded != null) {
                    embedded.close();
                }
            }
        }

        /** The port of the PostgreSQL a running server started on this data folder, if one runs. */
        static Optional<Integer> runningPort(Path pgData) {
            Path pidFile = pgData.resolve("postmaster.pid");
            try {
                if (!Files.exists(pidFile)) {
                    return Optional.empty();
                }
                List<String> lines = Files.readAllLines(pidFile);
                if (lines.size() < 4) {
                    return Optional.empty();
                }
                long pid = Long.parseLong(lines.get(0).strip());
                if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                    return Optional.of(Integer.parseInt(lines.get(3).strip()));
                }
                return Optional.empty();
            } catch (java.io.IOException | NumberFormatException e) {
                return Optional.empty();
            }
        }
    }
}
