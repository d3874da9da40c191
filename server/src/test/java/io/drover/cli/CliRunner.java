package io.drover.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;

/** Runs {@code drover} in-process against one server and captures exit code, stdout and stderr. */
final class CliRunner {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final Map<String, String> env;
    private final List<String> connection;

    private CliRunner(Map<String, String> env, List<String> connection) {
        this.env = env;
        this.connection = connection;
    }

    /** A runner that adds {@code --url} and {@code --api-key} to client commands. */
    static CliRunner withFlags(String url, String apiKey) {
        return new CliRunner(Map.of(), List.of("--url", url, "--api-key", apiKey));
    }

    /** A runner that passes nothing but the given environment. */
    static CliRunner withEnv(Map<String, String> env) {
        return new CliRunner(env, List.of());
    }

    record Result(int code, String out, String err) {
        JsonNode json() {
            try {
                return MAPPER.readTree(out);
            } catch (Exception e) {
                throw new AssertionError("stdout is not JSON: " + out + "\nstderr: " + err, e);
            }
        }
    }

    Result run(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(connection);
        return raw(all.toArray(String[]::new));
    }

    /** Runs exactly the given arguments. */
    Result raw(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = new CommandLine(new DroverCli(env))
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true))
                .execute(args);
        return new Result(code, out.toString(), err.toString());
    }
}
