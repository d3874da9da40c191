package io.drover.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * Named SQL statements loaded from a resource file. A statement starts at a line
 * {@code -- name: some_name} and runs to the next such line; comments stay in the text so that
 * {@code pg_stat_statements} and logs show why each clause is there.
 */
public final class Sql {
    private final String resource;
    private final Map<String, String> statements;

    private Sql(String resource, Map<String, String> statements) {
        this.resource = resource;
        this.statements = statements;
    }

    public static Sql load(String resource) {
        return load(resource, Map.of());
    }

    /** Loads statements, replacing each placeholder word (e.g. a column list) by its text. */
    public static Sql load(String resource, Map<String, String> placeholders) {
        try (InputStream in = Sql.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("SQL resource not found: " + resource);
            }
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            Map<String, String> statements = new HashMap<>();
            String name = null;
            StringBuilder body = new StringBuilder();
            for (String line : text.split("\n", -1)) {
                if (line.startsWith("-- name:")) {
                    if (name != null) {
                        statements.put(name, body.toString().strip());
                    }
                    name = line.substring("-- name:".length()).strip();
                    body.setLength(0);
                } else if (name != null) {
                    body.append(line).append('\n');
                }
            }
            if (name != null) {
                statements.put(name, body.toString().strip());
            }
            statements.replaceAll((k, v) -> {
                String out = v;
                // Longest names first, so that a name that contains another is replaced whole.
                for (String key : placeholders.keySet().stream()
                        .sorted(java.util.Comparator.comparingInt(String::length).reversed()).toList()) {
                    out = out.replace(key, placeholders.get(key));
                }
                return out;
            });
            return new Sql(resource, Map.copyOf(statements));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + resource, e);
        }
    }

    public String get(String name) {
        String sql = statements.get(name);
        if (sql == null) {
            throw new IllegalArgumentException("no statement '" + name + "' in " + resource);
        }
        return sql;
    }
}
