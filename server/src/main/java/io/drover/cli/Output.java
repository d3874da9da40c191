package io.drover.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Map;

/**
 * Prints what the server answered: its JSON as is when {@code --json} was given, otherwise a
 * table for lists and an aligned key/value view for single objects. Hints for people go to stderr
 * so that stdout stays clean for pipes.
 */
public final class Output {
    private final PrintWriter out;
    private final PrintWriter err;
    private final ObjectMapper mapper;
    private final boolean json;

    Output(PrintWriter out, PrintWriter err, ObjectMapper mapper, boolean json) {
        this.out = out;
        this.err = err;
        this.mapper = mapper;
        this.json = json;
    }

    /** @return whether the raw JSON is printed instead of tables */
    public boolean json() {
        return json;
    }

    /** Prints one object (a job, a run) as JSON or as key/value lines. */
    public void object(JsonNode node) {
        if (json) {
            printJson(node);
        } else {
            keyValues(node, "");
        }
    }

    /**
     * Prints a list answer {@code {"data": [...], ...}}: the whole answer as JSON, or its rows as a
     * table; an empty list says so on stderr.
     */
    public void list(JsonNode answer, Table table, String noun) {
        if (json) {
            printJson(answer);
        } else if (answer.path("data").isEmpty()) {
            err.println("No " + noun + " found.");
        } else {
            table.print(out, answer.path("data"));
        }
    }

    /** Prints a line of the answer on stdout (plans and reports that are the command's result). */
    public void line(String line) {
        out.println(line);
    }

    /** Prints a line for people on stderr. */
    public void hint(String line) {
        err.println(line);
    }

    private void printJson(JsonNode node) {
        try {
            out.println(mapper.writerWithDefaultPrettyPrinter().writeValueAsString(node));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a parsed JSON tree always writes", e);
        }
    }

    private void keyValues(JsonNode node, String indent) {
        if (!node.isObject()) {
            out.println(indent + text(node));
            return;
        }
        int width = 0;
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            width = Math.max(width, field.getKey().length());
        }
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            JsonNode value = field.getValue();
            String key = indent + field.getKey() + ":";
            if (value.isObject() && !value.isEmpty()) {
                out.println(key);
                keyValues(value, indent + "  ");
            } else {
                String pad = " ".repeat(width - field.getKey().length() + 2);
                String continuation = "\n" + " ".repeat(key.length() + pad.length());
                out.println(key + pad + text(value).replace("\n", continuation));
            }
        }
    }

    /** Renders an RFC 3339 time to the second, which is all a table has room for. */
    static String time(JsonNode value) {
        String s = text(value);
        try {
            return Instant.parse(s).truncatedTo(ChronoUnit.SECONDS).toString();
        } catch (DateTimeParseException notATime) {
            return s;
        }
    }

    /** Renders a scalar as plain text, null or missing as {@code -}, and anything else as compact JSON. */
    static String text(JsonNode value) {
        if (value == null || value.isNull() || value.isMissingNode()) {
            return "-";
        }
        return value.isValueNode() ? value.asText() : value.toString();
    }
}
