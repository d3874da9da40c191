package io.drover.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Named SQL statements loaded from a resource file under {@code /sql/}. A statement starts at a
 * line {@code -- name: some_name} and runs to the next such line; comments stay in the text so that
 * {@code pg_stat_statements} and logs show why each clause is there.
 *
 * <p>Parameters are named, {@code :job_id}, and bound by name through {@link #prepare}; a name may
 * appear several times. A statement still written with positional {@code ?} is bound by position
 * with {@link #get} and a plain {@code PreparedStatement}. Every loaded file is remembered
 * ({@link #loaded}) so that a test can prepare every statement against the real schema.
 *
 * <pre>{@code
 * private static final Sql SQL = Sql.load("/sql/identity.sql");
 * try (Query q = SQL.prepare(c, "member_role")) {
 *     q.set("project_id", projectId).set("user_id", userId);
 *     try (ResultSet rs = q.query()) { ... }
 * }
 * }</pre>
 */
public final class Sql {
    private static final Map<String, Sql> LOADED = new ConcurrentHashMap<>();

    private final String resource;
    private final Map<String, Statement> statements;

    private Sql(String resource, Map<String, Statement> statements) {
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
            Map<String, String> raw = new LinkedHashMap<>();
            String name = null;
            StringBuilder body = new StringBuilder();
            for (String line : text.split("\n", -1)) {
                if (line.startsWith("-- name:")) {
                    if (name != null) {
                        put(raw, resource, name, body);
                    }
                    name = line.substring("-- name:".length()).strip();
                    body.setLength(0);
                } else if (name != null) {
                    body.append(line).append('\n');
                }
            }
            if (name != null) {
                put(raw, resource, name, body);
            }
            List<String> keys = placeholders.keySet().stream()
                    .sorted(Comparator.comparingInt(String::length).reversed()).toList();
            Map<String, Statement> statements = new LinkedHashMap<>();
            raw.forEach((n, v) -> {
                String out = v;
                // Longest names first, so that a name that contains another is replaced whole.
                for (String key : keys) {
                    out = out.replace(key, placeholders.get(key));
                }
                statements.put(n, Statement.parse(resource, n, out));
            });
            Sql sql = new Sql(resource, java.util.Collections.unmodifiableMap(statements));
            LOADED.put(resource, sql);
            return sql;
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + resource, e);
        }
    }

    private static void put(Map<String, String> raw, String resource, String name, StringBuilder body) {
        if (raw.put(name, body.toString().strip()) != null) {
            throw new IllegalStateException("statement '" + name + "' appears twice in " + resource);
        }
    }

    /** Every statement file loaded in this JVM so far, by resource path. */
    public static Map<String, Sql> loaded() {
        return Map.copyOf(LOADED);
    }

    public String resource() {
        return resource;
    }

    public Collection<Statement> statements() {
        return statements.values();
    }

    public Statement statement(String name) {
        Statement s = statements.get(name);
        if (s == null) {
            throw new IllegalArgumentException("no statement '" + name + "' in " + resource);
        }
        return s;
    }

    /** The JDBC text of a statement ({@code ?} in place of named parameters). */
    public String get(String name) {
        return statement(name).jdbc();
    }

    /** Prepares a statement on {@code c} for binding by name. */
    public Query prepare(Connection c, String name) throws SQLException {
        return statement(name).prepare(c);
    }
}
