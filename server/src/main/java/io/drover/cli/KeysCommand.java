package io.drover.cli;

import io.drover.client.DroverClient;
import java.util.HashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code drover keys}: list, create, revoke and rotate the API keys of the key's project. */
@Command(name = "keys", mixinStandardHelpOptions = true, description = "Manage the project's API keys.",
        subcommands = {KeysCommand.List.class, KeysCommand.Create.class, KeysCommand.Revoke.class,
            KeysCommand.Rotate.class},
        footer = ExitCodes.FOOTER)
public final class KeysCommand {

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List API keys (never the keys themselves).",
            footer = ExitCodes.FOOTER)
    static final class List extends ClientCommand {
        @Override
        protected void run(DroverClient client, Output out) {
            Table table = new Table()
                    .column("ID", "id")
                    .column("PREFIX", "prefix")
                    .column("ROLE", "role")
                    .column("NAME", "name")
                    .column("LAST USED", k -> Output.time(k.get("last_used_at")))
                    .column("STATE", k -> !k.get("revoked_at").isNull() ? "revoked"
                            : !k.get("expires_at").isNull() ? "expires " + Output.time(k.get("expires_at")) : "active");
            out.list(client.send("GET", "/v1/api-keys", null), table, "API keys");
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Create a key. It is printed once: store it now.", footer = ExitCodes.FOOTER)
    static final class Create extends ClientCommand {
        @Option(names = "--name", required = true, paramLabel = "<name>")
        String name;

        @Option(names = "--role", defaultValue = "viewer", paramLabel = "<role>",
                description = "viewer, operator, admin or owner (at most your own role); default viewer.")
        String role;

        @Option(names = "--expires-at", paramLabel = "<time>", description = "RFC 3339 time.")
        String expiresAt;

        @Override
        protected void run(DroverClient client, Output out) {
            Map<String, Object> body = new HashMap<>(Map.of("name", name, "role", role));
            if (expiresAt != null) {
                body.put("expires_at", expiresAt);
            }
            out.object(client.send("POST", "/v1/api-keys", body));
            out.hint("The key is shown this once; the server keeps only its HMAC.");
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke a key at once.",
            footer = ExitCodes.FOOTER)
    static final class Revoke extends ClientCommand {
        @Parameters(paramLabel = "<key-id>")
        String id;

        @Override
        protected void run(DroverClient client, Output out) {
            out.object(client.send("DELETE", "/v1/api-keys/" + JsonArgs.segment(id), null));
        }
    }

    @Command(name = "rotate", mixinStandardHelpOptions = true,
            description = "Replace a key; the old one keeps working until the grace window ends.",
            footer = ExitCodes.FOOTER)
    static final class Rotate extends ClientCommand {
        @Parameters(paramLabel = "<key-id>")
        String id;

        @Option(names = "--grace-secs", defaultValue = "3600", paramLabel = "<secs>",
                description = "How long the old key still works (default 3600, up to 30 days).")
        long graceSecs;

        @Override
        protected void run(DroverClient client, Output out) {
            out.object(client.send("POST", "/v1/api-keys/" + JsonArgs.segment(id) + "/rotate",
                    Map.of("grace_secs", graceSecs)));
        }
    }
}
