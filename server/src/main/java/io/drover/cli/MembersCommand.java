package io.drover.cli;

import io.drover.client.DroverClient;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code drover members}: list, invite, change the role of and remove the project's members. */
@Command(name = "members", mixinStandardHelpOptions = true, description = "Manage the project's members.",
        subcommands = {MembersCommand.List.class, MembersCommand.Invite.class, MembersCommand.SetRole.class,
            MembersCommand.Remove.class},
        footer = ExitCodes.FOOTER)
public final class MembersCommand {

    static String members(DroverClient client) {
        return "/v1/projects/" + client.send("GET", "/v1/me", null).get("project_id").asText() + "/members";
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List members and their roles.",
            footer = ExitCodes.FOOTER)
    static final class List extends ClientCommand {
        @Override
        protected void run(DroverClient client, Output out) {
            Table table = new Table().column("USER ID", "user_id").column("ROLE", "role").column("EMAIL", "email");
            out.list(client.send("GET", members(client), null), table, "members");
        }
    }

    @Command(name = "invite", mixinStandardHelpOptions = true,
            description = "Invite someone by email (valid 72 hours; mailed, or left in the outbox).",
            footer = ExitCodes.FOOTER)
    static final class Invite extends ClientCommand {
        @Option(names = "--email", required = true, paramLabel = "<email>")
        String email;

        @Option(names = "--role", defaultValue = "viewer", paramLabel = "<role>")
        String role;

        @Override
        protected void run(DroverClient client, Output out) {
            out.object(client.send("POST", "/v1/invitations", Map.of("email", email, "role", role)));
        }
    }

    @Command(name = "set-role", mixinStandardHelpOptions = true, description = "Change a member's role.",
            footer = ExitCodes.FOOTER)
    static final class SetRole extends ClientCommand {
        @Parameters(paramLabel = "<user-id>")
        String userId;

        @Option(names = "--role", required = true, paramLabel = "<role>")
        String role;

        @Override
        protected void run(DroverClient client, Output out) {
            out.object(client.send("PATCH", members(client) + "/" + JsonArgs.segment(userId), Map.of("role", role)));
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true, description = "Remove a member from the project.",
            footer = ExitCodes.FOOTER)
    static final class Remove extends ClientCommand {
        @Parameters(paramLabel = "<user-id>")
        String userId;

        @Override
        protected void run(DroverClient client, Output out) {
            out.object(client.send("DELETE", members(client) + "/" + JsonArgs.segment(userId), null));
        }
    }
}
