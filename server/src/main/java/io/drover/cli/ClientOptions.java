package io.drover.cli;

import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The options every client command takes: where the server is, the API key, and whether to print
 * the server's raw JSON instead of tables. Flags win over the environment.
 */
public final class ClientOptions {
    static final String DEFAULT_URL = "http://localhost:7070";

    @Option(names = "--url", paramLabel = "<url>",
            description = {"Server URL (default: env DROVER_URL,", "else " + DEFAULT_URL + ")."})
    String url;

    @Option(names = "--api-key", paramLabel = "<key>",
            description = {"API key (default: env DROVER_API_KEY).", "Prefer the variable: flags show in ps."})
    String apiKey;

    @Option(names = "--json", description = "Print the server's JSON answer instead of a table, for scripts.")
    boolean json;

    String url(Map<String, String> env) {
        return firstSet(url, env.get("DROVER_URL"), DEFAULT_URL);
    }

    String apiKey(Map<String, String> env) {
        return firstSet(apiKey, env.get("DROVER_API_KEY"), null);
    }

    private static String firstSet(String flag, String fromEnv, String fallback) {
        if (flag != null && !flag.isBlank()) {
            return flag.strip();
        }
        if (fromEnv != null && !fromEnv.isBlank()) {
            return fromEnv.strip();
        }
        return fallback;
    }
}
