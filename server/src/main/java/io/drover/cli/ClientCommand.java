package io.drover.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.client.DroverApiException;
import io.drover.client.DroverClient;
import io.drover.client.DroverException;
import io.drover.client.DroverTransportException;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The base of every command that talks to a server: it resolves the URL and API key, builds one
 * {@link DroverClient}, runs the command, and turns every failure into a message on stderr and an
 * exit code from {@link ExitCodes}.
 */
public abstract class ClientCommand implements Callable<Integer> {
    @Mixin
    ClientOptions options;

    @Spec
    CommandSpec spec;

    /** The exit code of a command that did its work; see {@link #exitWith}. */
    private int exitCode = ExitCodes.OK;

    /**
     * Does the command's work; failures are thrown, not printed.
     *
     * @param client the client for the resolved server and key
     * @param out where answers go, as tables or JSON
     */
    protected abstract void run(DroverClient client, Output out);

    /** @return the API key in use (for requests the client does not make itself, such as the event stream) */
    protected String apiKey() {
        return options.apiKey(env());
    }

    /** Ends a successful command with another code than 0 (as {@code diff} does when there are changes). */
    protected void exitWith(int code) {
        exitCode = code;
    }

    @Override
    public final Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        Map<String, String> env = env();
        String url = options.url(env);
        try {
            String apiKey = options.apiKey(env);
            if (apiKey == null) {
                throw new UsageError("no API key: set DROVER_API_KEY or pass --api-key.");
            }
            try (DroverClient client = client(url, apiKey)) {
                run(client, new Output(spec.commandLine().getOut(), err, client.mapper(), options.json));
            }
            return exitCode;
        } catch (UsageError e) {
            err.println("drover: " + e.getMessage());
            return ExitCodes.USAGE;
        } catch (DroverApiException e) {
            printApiError(err, e);
            return e.httpStatus() == 404 ? ExitCodes.NOT_FOUND : ExitCodes.SERVER_ERROR;
        } catch (DroverTransportException e) {
            err.println("drover: cannot reach the server at " + url + " (" + e.getMessage()
                    + "); check --url or DROVER_URL and that the server is running.");
            return ExitCodes.UNREACHABLE;
        } catch (DroverException e) {
            err.println("drover: " + e.getMessage());
            return ExitCodes.SERVER_ERROR;
        } finally {
            err.flush();
            spec.commandLine().getOut().flush();
        }
    }

    private static DroverClient client(String url, String apiKey) {
        try {
            return DroverClient.builder().baseUrl(url).apiKey(apiKey).build();
        } catch (IllegalArgumentException e) {
            throw new UsageError("bad server URL: " + e.getMessage());
        }
    }

    private Map<String, String> env() {
        return spec.root().userObject() instanceof DroverCli cli ? cli.env() : System.getenv();
    }

    private static void printApiError(PrintWriter err, DroverApiException e) {
        err.println("drover: error " + e.httpStatus() + " " + e.code() + ": " + e.errorMessage());
        JsonNode details = e.details();
        if (details.isObject() && !details.isEmpty()) {
            err.println("  details: " + details);
        }
        if (e.httpStatus() == 401) {
            err.println("  check the API key (--api-key or DROVER_API_KEY).");
        }
    }
}
