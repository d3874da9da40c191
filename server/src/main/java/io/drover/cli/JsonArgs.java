package io.drover.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads JSON given on the command line, inline or as {@code @file} ({@code @-} for stdin), and
 * encodes path segments. Bad input is a {@link UsageError}, so nothing reaches the server.
 */
public final class JsonArgs {
    // Trailing tokens fail so that a shell-split value such as {"a": 1} x is not half-read.
    private static final ObjectMapper MAPPER =
            JsonMapper.builder().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();

    private JsonArgs() {
    }

    /**
     * Parses a flag value as JSON, or reads the file it names when it starts with {@code @}.
     *
     * @param flag the flag name, for the error message
     * @param value inline JSON, {@code @path} or {@code @-}
     * @return the parsed JSON, or null when the value is null
     */
    public static JsonNode value(String flag, String value) {
        if (value == null) {
            return null;
        }
        return value.startsWith("@") ? file(flag, value.substring(1)) : parse(flag, value);
    }

    /**
     * Reads a JSON file, {@code -} meaning stdin.
     *
     * @param flag the flag name, for the error message
     * @param path the file to read
     * @return the parsed JSON
     */
    public static JsonNode file(String flag, String path) {
        try {
            if (path.equals("-")) {
                InputStream in = System.in;
                return parse(flag, new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
            return parse(flag, Files.readString(Path.of(path)));
        } catch (IOException e) {
            throw new UsageError(flag + ": cannot read " + path + " (" + e.getMessage() + ").");
        }
    }

    /**
     * Like {@link #value} but the JSON must be an object.
     *
     * @return the object, or null when the value is null
     */
    public static ObjectNode object(String flag, String value) {
        JsonNode node = value(flag, value);
        if (node != null && !node.isObject()) {
            throw new UsageError(flag + " must be a JSON object, got: " + abbreviate(node.toString()));
        }
        return (ObjectNode) node;
    }

    /** @return a new empty JSON object */
    public static ObjectNode newObject() {
        return MAPPER.createObjectNode();
    }

    /** Encodes one path segment, such as a job slug, for a request path. */
    public static String segment(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static JsonNode parse(String flag, String text) {
        try {
            JsonNode node = MAPPER.readTree(text);
            if (node == null || node.isMissingNode()) {
                throw new UsageError(flag + " is empty; give a JSON value.");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new UsageError(flag + " is not valid JSON: " + e.getOriginalMessage());
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 60 ? s.substring(0, 60) + "..." : s;
    }
}
