package io.drover.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.testing.TestDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

/**
 * V17 on a database filled by the previous version: run_events becomes partitioned by run id with
 * every row it had (the old table is attached as run_events_p0, not copied), events keep being
 * written while it runs, seq goes on from where it was, and the columns, indexes (a BRIN index on
 * V15's xid column among them) and triggers the table had carry over to the partitioned table.
 */
class RunEventsPartitionMigrationTest {
    static final String PROJECT = "00000000-0000-7000-8000-0000000000a1";

    @Test
    void anExistingRunEventsTableBecomesTheFirstPartitionWhileEventsAreWritten() throws Exception {
        EmbeddedDatabase pg = TestDatabase.embedded();
        String name = "t_run_events_partition_" + System.nanoTime();
        pg.ensureDatabase(name);
        String url = pg.jdbcUrl(name);
        // the version before V17, whichever it is on this branch (V15 and V16 are being written meanwhile)
        String previous = java.util.Arrays.stream(Flyway.configure().dataSource(url, pg.user(), null)
                        .locations("classpath:db/migration").load().info().all())
                .map(m -> m.getVersion()).filter(v -> v.isNewerThan("0") && !v.isAtLeast("17"))
                .max(org.flywaydb.core.api.MigrationVersion::compareTo).orElseThrow().getVersion();
        Flyway.configure().dataSource(url, pg.user(), null).locations("classpath:db/migration").target(previous)
                .load().migrate();

        List<String> columnsBefore;
        try (Connection c = DriverManager.getConnection(url, pg.user(), null); Statement s = c.createStatement()) {
            s.execute("""
                    INSERT INTO projects (id, slug, name) VALUES ('%1$s', 'one', 'One');
                    INSERT INTO jobs (id, project_id, slug, spec, queue, execution) VALUES
                        ('00000000-0000-7000-8000-0000000000b1', '%1$s', 'j1', '{}', 'q', 'worker');
                    INSERT INTO runs (id, project_id, job_id, job_slug, job_version, queue, execution, status,
                                      max_attempts, scheduled_at)
                    SELECT drover_uuidv7(), '%1$s', '00000000-0000-7000-8000-0000000000b1', 'j', 1, 'q', 'worker',
                           'queued', 3, now()
                    FROM generate_series(1, 200);
                    INSERT INTO run_events (project_id, run_id, type, attempt, created_at)
                    SELECT project_id, id, 'x', 0, now() FROM runs, generate_series(1, 3);""".formatted(PROJECT));
            // what V15 adds (if it is not there yet): a column with a default and a BRIN index on it;
            // and a row trigger, as the event log may add one
            s.execute("""
                    ALTER TABLE run_events ADD COLUMN IF NOT EXISTS xid bigint;
                    ALTER TABLE run_events ALTER COLUMN xid SET DEFAULT (pg_current_xact_id()::text::bigint);
                    CREATE INDEX IF NOT EXISTS run_events_test_xid ON run_events USING brin (xid)
                        WITH (pages_per_range = 32, autosummarize = on);
                    CREATE TABLE test_event_count (n int NOT NULL);
                    INSERT INTO test_event_count VALUES (0);
                    CREATE FUNCTION test_event_counted() RETURNS trigger LANGUAGE plpgsql AS
                        $$ BEGIN UPDATE test_event_count SET n = n + 1; RETURN NULL; END $$;
                    CREATE TRIGGER run_events_counted AFTER INSERT ON run_events
                        FOR EACH ROW EXECUTE FUNCTION test_event_counted();""");
            columnsBefore = rows(s, """
                    SELECT attname || ' ' || format_type(atttypid, atttypmod) || ' ' || attnotnull
                           || ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
                    FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                    WHERE a.attrelid = 'run_events'::regclass AND a.attnum > 0 AND NOT a.attisdropped
                      AND a.attname <> 'seq' ORDER BY a.attnum""");
        }
        List<String> indexesBefore = indexes(url, pg);
        assertThat(indexesBefore).contains("run_events_run btree (run_id, seq)", "run_events_test_xid brin (xid) WITH (pages_per_range='32', autosummarize='on')");

        // a node on the previous version keeps writing events while the migration runs
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicInteger written = new AtomicInteger();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        Thread writer = Thread.ofPlatform().start(() -> {
            try (Connection c = DriverManager.getConnection(url, pg.user(), null); Statement s = c.createStatement()) {
                while (writing.get() || written.get() < 50) {
                    s.execute("INSERT INTO run_events (project_id, run_id, type, attempt) SELECT project_id, id, 'w', 1 "
                            + "FROM runs ORDER BY id LIMIT 1");
                    written.incrementAndGet();
                }
            } catch (Throwable e) {
                failures.add(e);
            }
        });
        try (Db db = new Db(url, pg.user(), null, 2)) {
            db.migrate();
        } finally {
            writing.set(false);
            writer.join();
        }
        assertThat(failures).as("inserts during the migration").isEmpty();

        try (Connection c = DriverManager.getConnection(url, pg.user(), null); Statement s = c.createStatement()) {
            assertThat(rows(s, "SELECT relkind::text FROM pg_class WHERE oid = 'run_events'::regclass"))
                    .containsExactly("p");
            assertThat(rows(s, """
                    SELECT c.relname || ' ' || pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i
                    JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'run_events'::regclass ORDER BY 1"""))
                    .hasSize(2)
                    .anySatisfy(p -> assertThat(p).startsWith("run_events_p0 FOR VALUES FROM (MINVALUE) TO ('"))
                    .anySatisfy(p -> assertThat(p).isEqualTo("run_events_default DEFAULT"));
            assertThat(rows(s, "SELECT count(*) FROM run_events")).containsExactly(String.valueOf(600 + written.get()));
            assertThat(rows(s, "SELECT count(*) FROM ONLY run_events_p0")).containsExactly(String.valueOf(600 + written.get()));
            assertThat(rows(s, "SELECT count(DISTINCT seq) = count(*) FROM run_events")).containsExactly("t");
            assertThat(rows(s, """
                    SELECT attname || ' ' || format_type(atttypid, atttypmod) || ' ' || attnotnull
                           || ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
                    FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                    WHERE a.attrelid = 'run_events'::regclass AND a.attnum > 0 AND NOT a.attisdropped
                      AND a.attname <> 'seq' ORDER BY a.attnum""")).as("columns").isEqualTo(columnsBefore);
            assertThat(rows(s, "SELECT attidentity::text FROM pg_attribute "
                    + "WHERE attrelid = 'run_events'::regclass AND attname = 'seq'")).containsExactly("a");
            assertThat(rows(s, "SELECT conname FROM pg_constraint WHERE conrelid = 'run_events'::regclass "
                    + "AND contype IN ('p', 'u')")).as("no primary key (V5)").isEmpty();
            // the partition keeps V13's insert-vacuum setting
            assertThat(rows(s, "SELECT array_to_string(reloptions, ',') FROM pg_class WHERE relname = 'run_events_p0'"))
                    .containsExactly("autovacuum_vacuum_insert_scale_factor=0.02");

            // a new event goes on with seq after every old one, fires the trigger once, reads back by run
            long maxSeq = Long.parseLong(rows(s, "SELECT max(seq) FROM run_events").get(0));
            long countBefore = Long.parseLong(rows(s, "SELECT n FROM test_event_count").get(0));
            s.execute("INSERT INTO run_events (project_id, run_id, type, attempt) SELECT project_id, id, 'after', 1 "
                    + "FROM runs ORDER BY id DESC LIMIT 1");
            assertThat(Long.parseLong(rows(s, "SELECT seq FROM run_events WHERE type = 'after'").get(0)))
                    .isGreaterThan(maxSeq);
            assertThat(Long.parseLong(rows(s, "SELECT n FROM test_event_count").get(0))).isEqualTo(countBefore + 1);
            assertThat(rows(s, "SELECT count(*) FROM run_events WHERE xid IS NOT NULL AND type = 'after'"))
                    .containsExactly("1");
            s.execute("SET enable_seqscan = off");
            assertThat(String.join("\n", rows(s, "EXPLAIN SELECT * FROM run_events WHERE run_id = "
                    + "(SELECT id FROM runs LIMIT 1) AND project_id = '" + PROJECT + "' ORDER BY seq")))
                    .contains("run_events_run_p0");
        }
        assertThat(indexes(url, pg)).as("the partitioned table's indexes, by the old names")
                .isEqualTo(indexesBefore);
    }

    private static List<String> indexes(String url, EmbeddedDatabase pg) throws SQLException {
        try (Connection c = DriverManager.getConnection(url, pg.user(), null); Statement s = c.createStatement()) {
            return rows(s, "SELECT indexname || ' ' || regexp_replace(indexdef, '^.* USING ', '') FROM pg_indexes "
                    + "WHERE tablename = 'run_events' ORDER BY 1");
        }
    }

    private static List<String> rows(Statement s, String sql) throws SQLException {
        List<String> out = new ArrayList<>();
        try (ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }
}
