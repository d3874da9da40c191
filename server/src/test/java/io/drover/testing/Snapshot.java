package io.drover.testing;

import io.drover.store.Db;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The stored state of every table, as row count and an md5 over every row in a fixed order. Two
 * equal snapshots mean no row was added, removed or modified, which is stronger than comparing
 * counts (a rejected PATCH that bumped a version in place would show).
 *
 * <p>The tables come from the catalog (every table of the schema Drover migrates), not from a
 * list, so that a table added by a new migration is checked without anyone remembering it. What
 * is left out is listed below, each with its reason; the lists must name tables and columns that
 * exist, so they cannot go stale unnoticed.
 */
public record Snapshot(Map<String, String> tables) {

    /** Tables left out of the fingerprint, with the reason. */
    static final Map<String, String> EXCLUDED_TABLES = Map.of(
            "flyway_schema_history", "Flyway's own record of the migrations: written at start, never by a request",
            "event_fences", "the event log's fences: written by a background loop whenever any transaction finished "
                    + "(a key's last_used_at stamp included), never by a request itself",
            "webhook_fanout_cursor", "how far the webhook fan-out has read the event log: moved by a background loop "
                    + "as events commit, never by a request itself",
            "run_rollup_cursor", "how far the run rollup has read the event log: moved by a background loop",
            "job_hourly", "finished runs per job and hour: added to by the run rollup's background loop");

    /** Columns left out of their table's fingerprint, with the reason; the rest of the row still counts. */
    static final Map<String, Map<String, String>> EXCLUDED_COLUMNS = Map.of(
            "api_keys", Map.of("last_used_at", "stamped by every request that the key authenticates, refused or not"),
            "sessions", Map.of(
                    "last_seen_at", "stamped by every request that the session cookie authenticates",
                    "expires_at", "slides forward on every request that the session cookie authenticates"));

    private static final String COLUMNS = """
            SELECT c.relname, a.attname
            FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition
            ORDER BY c.relname, a.attnum""";

    public static Snapshot of(Db db) {
        return db.read(c -> {
            Map<String, List<String>> tables = tables(c);
            List<String> parts = new ArrayList<>();
            for (var t : tables.entrySet()) {
                String cols = String.join(", ", t.getValue().stream().map(Snapshot::quote).toList());
                // ordered by the row's text: a fixed order for any table, with or without a primary key
                parts.add("SELECT " + literal(t.getKey()) + ", count(*), coalesce(md5(string_agg(r::text, E'\\n' "
                        + "ORDER BY r::text)), '-') FROM (SELECT " + cols + " FROM " + quote(t.getKey()) + ") r");
            }
            Map<String, String> out = new LinkedHashMap<>();
            try (PreparedStatement ps = c.prepareStatement(String.join("\nUNION ALL\n", parts));
                    ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), rs.getLong(2) + " rows, md5 " + rs.getString(3));
                }
            }
            return new Snapshot(out);
        });
    }

    /** Every table of the schema with the columns that count, from the catalog, minus the exclusions. */
    static Map<String, List<String>> tables(Connection c) throws SQLException {
        Map<String, List<String>> all = new TreeMap<>();
        try (PreparedStatement ps = c.prepareStatement(COLUMNS); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                all.computeIfAbsent(rs.getString(1), t -> new ArrayList<>()).add(rs.getString(2));
            }
        }
        for (String t : EXCLUDED_TABLES.keySet()) {
            if (all.remove(t) == null) {
                throw new IllegalStateException("Snapshot.EXCLUDED_TABLES names " + t + ", which is not a table");
            }
        }
        for (var e : EXCLUDED_COLUMNS.entrySet()) {
            List<String> cols = all.get(e.getKey());
            Set<String> drop = e.getValue().keySet();
            if (cols == null || !cols.containsAll(drop)) {
                throw new IllegalStateException("Snapshot.EXCLUDED_COLUMNS names " + e.getKey() + " " + drop
                        + ", which is not there: " + cols);
            }
            cols.removeAll(drop);
        }
        return all;
    }

    private static String quote(String identifier) {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }

    private static String literal(String text) {
        return "'" + text.replace("'", "''") + "'";
    }

    /** This snapshot without {@code table} (for a check where that table changes by design). */
    public Snapshot without(String table) {
        Map<String, String> rest = new java.util.TreeMap<>(tables);
        rest.remove(table);
        return new Snapshot(rest);
    }

    /** The tables whose content differs from {@code other}, with both states; empty when equal. */
    public String diff(Snapshot other) {
        StringBuilder sb = new StringBuilder();
        Set<String> names = new java.util.TreeSet<>(tables.keySet());
        names.addAll(other.tables.keySet());
        for (String name : names) {
            String mine = tables.get(name);
            String theirs = other.tables.get(name);
            if (mine == null || !mine.equals(theirs)) {
                sb.append(name).append(": ").append(mine).append(" -> ").append(theirs).append("; ");
            }
        }
        return sb.toString();
    }
}
