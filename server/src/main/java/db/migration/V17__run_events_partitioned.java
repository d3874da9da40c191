package db.migration;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;

/**
 * V17: {@code run_events} becomes a table partitioned by {@code RANGE (run_id)} (docs/decisions.md
 * §23), online: the existing table is not copied, it is attached as the first partition,
 * {@code run_events_p0}, for every run id below a bound {@code B} (the first millisecond of the
 * month after next, as a UUIDv7), and a DEFAULT partition catches any id above the partitions the
 * maintenance pass creates ahead ({@code io.drover.retention.EventPartitions}).
 *
 * <p>Three transactions, none of which holds a lock that stops runs being made, claimed or completed
 * for longer than a catalog change (it never locks {@code runs} at all):
 * <ol>
 *   <li>{@code ADD CONSTRAINT run_events_p0_bound CHECK (run_id < B) NOT VALID}: ACCESS EXCLUSIVE on
 *       run_events for a moment (no scan; new rows are checked from then on, and B is a month or
 *       more away, so no run made meanwhile fails it).</li>
 *   <li>{@code VALIDATE CONSTRAINT}: the scan of the whole table, under SHARE UPDATE EXCLUSIVE, which
 *       lets inserts, deletes and reads go on (it only excludes vacuum and other DDL).</li>
 *   <li>The swap: ACCESS EXCLUSIVE on run_events for a few catalog statements, no scan and no index
 *       build: rename the table to run_events_p0, create the partitioned run_events
 *       {@code LIKE} it (so columns added by earlier migrations, V15's xid among them, carry over),
 *       give it the identity {@code seq} continuing from the old sequence, create every index and
 *       trigger the old table had (read from the catalog, under their old names), attach
 *       run_events_p0 (its valid CHECK proves the partition bound, so the attach does not scan, and
 *       its indexes match the parent's and are attached instead of built), and create the DEFAULT
 *       partition.</li>
 * </ol>
 * Not in a Flyway transaction ({@link #canExecuteInTransaction()} false) so that the three commit
 * separately; each step checks whether it was done, so a migration that failed half way can be
 * repaired and rerun. A node still on V16 keeps working during and after it: it inserts into and
 * reads from {@code run_events} by name. No primary key, as since V5.
 */
public class V17__run_events_partitioned extends BaseJavaMigration {
    static final Pattern UUID_LITERAL = Pattern.compile("'([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})'");

    @Override
    public boolean canExecuteInTransaction() {
        return false;
    }

    @Override
    public void migrate(Context context) throws Exception {
        Connection c = context.getConnection();
        boolean autoCommit = c.getAutoCommit();
        try {
            c.setAutoCommit(true);
            if ("p".equals(one(c, "SELECT relkind::text FROM pg_class WHERE oid = to_regclass('run_events')"))) {
                return; // already partitioned
            }
            if (one(c, "SELECT conname FROM pg_constraint WHERE conrelid = 'run_events'::regclass "
                    + "AND conname = 'run_events_p0_bound'") == null) {
                Instant now = Instant.ofEpochSecond(((Number) oneObject(c, "SELECT extract(epoch FROM now())::bigint")).longValue());
                String bound = uuidFloor(firstMonthBoundAfter(now.plusSeconds(2 * 86_400)));
                exec(c, "ALTER TABLE run_events ADD CONSTRAINT run_events_p0_bound CHECK (run_id < '"
                        + bound + "'::uuid) NOT VALID");
            }
            exec(c, "ALTER TABLE run_events VALIDATE CONSTRAINT run_events_p0_bound");
            swap(c);
        } finally {
            c.setAutoCommit(autoCommit);
        }
    }

    private static void swap(Connection c) throws SQLException {
        c.setAutoCommit(false);
        try {
            exec(c, "LOCK TABLE run_events IN ACCESS EXCLUSIVE MODE");
            String check = one(c, "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                    + "WHERE conrelid = 'run_events'::regclass AND conname = 'run_events_p0_bound' AND convalidated");
            Matcher m = UUID_LITERAL.matcher(check == null ? "" : check);
            if (!m.find()) {
                throw new IllegalStateException("run_events_p0_bound missing or not validated: " + check);
            }
            String bound = m.group(1);
            // the identity goes on: the next seq of the partitioned table follows the old sequence's
            String sequence = one(c, "SELECT pg_get_serial_sequence('run_events', 'seq')");
            long next = 1;
            if (sequence != null) {
                try (Statement s = c.createStatement();
                        ResultSet rs = s.executeQuery("SELECT last_value, is_called FROM " + sequence)) {
                    rs.next();
                    next = rs.getBoolean(2) ? rs.getLong(1) + 1 : rs.getLong(1);
                }
            }
            // the indexes and triggers to recreate on the parent: their definitions name public.run_events,
            // read before the rename, so they apply to the new table as they are
            List<String[]> indexes = rows(c, """
                    SELECT x.relname, pg_get_indexdef(i.indexrelid)
                    FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid
                    WHERE i.indrelid = 'run_events'::regclass ORDER BY 1""");
            List<String[]> triggers = rows(c, """
                    SELECT quote_ident(t.tgname), pg_get_triggerdef(t.oid)
                    FROM pg_trigger t WHERE t.tgrelid = 'run_events'::regclass AND NOT t.tgisinternal ORDER BY 1""");
            for (String[] t : triggers) {
                exec(c, "DROP TRIGGER " + t[0] + " ON run_events");
            }
            exec(c, "ALTER TABLE run_events RENAME TO run_events_p0");
            for (String[] i : indexes) {
                String renamed = (i[0].length() > 60 ? i[0].substring(0, 60) : i[0]) + "_p0";
                exec(c, "ALTER INDEX \"" + i[0] + "\" RENAME TO \"" + renamed + "\"");
            }
            if (sequence != null) {
                exec(c, "ALTER TABLE run_events_p0 ALTER COLUMN seq DROP IDENTITY");
            }
            exec(c, """
                    CREATE TABLE run_events (LIKE run_events_p0 INCLUDING DEFAULTS INCLUDING CONSTRAINTS
                        INCLUDING GENERATED INCLUDING STORAGE INCLUDING COMPRESSION INCLUDING COMMENTS
                        INCLUDING STATISTICS) PARTITION BY RANGE (run_id)""");
            exec(c, "ALTER TABLE run_events DROP CONSTRAINT run_events_p0_bound");
            exec(c, "ALTER TABLE run_events ALTER COLUMN seq ADD GENERATED ALWAYS AS IDENTITY (START WITH "
                    + next + ")");
            for (String[] i : indexes) {
                exec(c, i[1]);
            }
            exec(c, "ALTER TABLE run_events ATTACH PARTITION run_events_p0 FOR VALUES FROM (MINVALUE) TO ('"
                    + bound + "')");
            exec(c, "ALTER TABLE run_events_p0 DROP CONSTRAINT run_events_p0_bound");
            // V13's insert-vacuum setting stays on run_events_p0 (a partitioned table has no storage
            // parameters); every partition made from now on gets it when it is made
            exec(c, "CREATE TABLE run_events_default PARTITION OF run_events DEFAULT "
                    + "WITH (autovacuum_vacuum_insert_scale_factor = 0.02)");
            for (String[] t : triggers) {
                exec(c, t[1]);
            }
            exec(c, "COMMENT ON TABLE run_events IS 'Partitioned by RANGE (run_id): one partition per month of "
                    + "UUIDv7 run ids, created ahead by the retention pass (docs/decisions.md 23)'");
            c.commit();
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(true);
        }
    }

    /** The first UTC month start after {@code t}. */
    static Instant firstMonthBoundAfter(Instant t) {
        ZonedDateTime z = t.atZone(ZoneOffset.UTC);
        return z.withDayOfMonth(1).toLocalDate().atStartOfDay(ZoneOffset.UTC).plusMonths(1).toInstant();
    }

    /** The smallest UUID whose 48-bit UUIDv7 timestamp is {@code t} (as text). */
    static String uuidFloor(Instant t) {
        String h = String.format("%012x", t.toEpochMilli());
        return h.substring(0, 8) + "-" + h.substring(8, 12) + "-0000-0000-000000000000";
    }

    private static void exec(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private static String one(Connection c, String sql) throws SQLException {
        Object o = oneObject(c, sql);
        return o == null ? null : o.toString();
    }

    private static Object oneObject(Connection c, String sql) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            return rs.next() ? rs.getObject(1) : null;
        }
    }

    private static List<String[]> rows(Connection c, String sql) throws SQLException {
        List<String[]> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new String[] {rs.getString(1), rs.getString(2)});
            }
        }
        return out;
    }
}
