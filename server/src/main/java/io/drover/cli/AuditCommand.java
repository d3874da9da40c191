package io.drover.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.client.DroverClient;
import io.drover.client.DroverException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code drover audit}: verify the audit hash chain, export the project's audit events as JSON lines. */
@Command(name = "audit", mixinStandardHelpOptions = true, description = "Verify or export the audit log.",
        subcommands = {AuditCommand.Verify.class, AuditCommand.Export.class}, footer = ExitCodes.FOOTER)
public final class AuditCommand {

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = "Check the project's chain: every row's HMAC and link to the row before, and both ends "
                    + "against the signed head; exit 1 when the chain is broken.",
            footer = ExitCodes.FOOTER)
    static final class Verify extends ClientCommand {
        @Override
        protected void run(DroverClient client, Output out) {
            JsonNode v = client.send("GET", "/v1/audit-events/verify", null);
            if (out.json()) {
                out.object(v);
            }
            if (!v.get("ok").asBoolean()) {
                String at = v.path("first_bad_id").isTextual() ? " at row " + v.get("first_bad_id").asText() : "";
                String why = v.path("problem").isTextual() ? v.get("problem").asText() + ", " : "";
                throw new DroverException("audit chain BROKEN" + at + " (" + why + v.get("rows_checked").asLong()
                        + " rows checked)", null);
            }
            if (!out.json()) {
                spec.commandLine().getOut().println("audit chain ok: " + v.get("rows_checked").asLong() + " rows checked");
            }
        }
    }

    @Command(name = "export", mixinStandardHelpOptions = true,
            description = "Print the project's audit events as JSON lines, oldest first.", footer = ExitCodes.FOOTER)
    static final class Export extends ClientCommand {
        @Option(names = "--action", paramLabel = "<action>",
                description = "An action such as api_key.create, or a prefix ending in '.' such as job.")
        String action;

        @Option(names = "--since", paramLabel = "<time>", description = "RFC 3339 time.")
        String since;

        @Override
        protected void run(DroverClient client, Output out) {
            StringBuilder q = new StringBuilder("/v1/audit-events/export?");
            if (action != null) {
                q.append("action=").append(URLEncoder.encode(action, StandardCharsets.UTF_8)).append('&');
            }
            if (since != null) {
                q.append("since=").append(URLEncoder.encode(since, StandardCharsets.UTF_8));
            }
            // JSON lines are not one JSON document, so they are fetched as text rather than through the client.
            java.util.Map<String, String> env = spec.root().userObject() instanceof DroverCli cli ? cli.env()
                    : System.getenv();
            var request = java.net.http.HttpRequest.newBuilder(java.net.URI.create(client.baseUrl() + q))
                    .header("Authorization", "Bearer " + options.apiKey(env)).GET().build();
            try (var http = java.net.http.HttpClient.newHttpClient()) {
                var answer = http.send(request, java.net.http.HttpResponse.BodyHandlers.ofString());
                if (answer.statusCode() != 200) {
                    throw io.drover.client.DroverApiException.fromResponse(answer.statusCode(), answer.body(),
                            client.mapper());
                }
                spec.commandLine().getOut().print(answer.body());
            } catch (java.io.IOException e) {
                throw new io.drover.client.DroverTransportException(e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DroverException("interrupted", e);
            }
        }
    }
}
