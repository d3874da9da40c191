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
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

/**
 * An installation upgraded to V6/V7 keeps listing the runs it already had: V7 copies every run made
 * before V6's trigger into run_list, and no run twice, before it drops the two list indexes of runs;
 * every run inserted afterwards is listed, whichever statement inserts it (the trigger runs_listed).
 */
class RunListMigrationTest {

    @Test
    void runsMadeBeforeTheRunListAreListedAfterTheUpgrade() throws SQLException {
        EmbeddedDatabase pg = TestDatabase.embedded();
        String name = "t_run_list_upgrade_" + System.nanoTime();
        pg.ensureDatabase(name);
        String url = pg.jdbcUrl(name);
        Flyway.configure().dataSource(url, pg.user(), null).locations("classpath:db/migration").target("5")
                .load().migrate();

        try (Connection c = DriverManager.getConnection(url, pg.user(), null); Statement s = c.createStatement()) {
            s.execute("""
                    INSERT INTO projects (id, slug, name) VALUES
                        ('00000000-0000-7000-8000-0000000000a1', 'one', 'One'),
                        ('00000000-0000-7000-8000-0000000000a2', 'two', 'Two');
                    INSERT INTO jobs (id, project_id, slug, spec, queue, execution) VALUES
                        ('00000000-0000-7000-8000-0000000000b1', '00000000-0000-7000-8000-0000000000a1', 'j1', '{}', 'q', 'worker'),
                        ('00000000-0000-7000-8000-0000000000b2', '00000000-0000-7000-8000-0000000000a2', 'j2', '{}', 'q', 'worker');
                    INSERT INTO runs (id, project_id, job_id, job_slug, job_version, queue, execution, status,
                                      max_attempts, scheduled_at, finished_at)
                    SELECT ('00000000-0000-7000-8000-' || lpad(i::text, 12, '0'))::uuid,
                           CASE WHEN i % 2 = 0 THEN '00000000-0000-7000-8000-0000000000a1'::uuid
                                ELSE '00000000-0000-7000-8000-0000000000a2'::uuid END,
                           CASE WHEN i % 2 = 0 THEN '00000000-0000-7000-8000-0000000000b1'::uuid
                                ELSE '00000000-0000-7000-8000-0000000000b2'::uuid END,
                           'j', 1, 'q', 'worker',
                           CASE WHEN i % 3 = 0 THEN 'completed'::run_status ELSE 'queued'::run_status END,
                           3, now(), CASE WHEN i % 3 = 0 THEN now() END
                    FROM generate_series(1, 49) i;""");
        }

        // V6 alone: runs made from now on are listed by the trigger, and V7 must not list them again
        Flyway.configure().dataSource(url, pg.user(), null).locations("classpath:db/migration").target("6")
                .load().migrate();
        try (Connection c = DriverManager.getConnection(url, pg.user(), null); Statement s = c.createStatement()) {
            s.execute("""
                    INSERT INTO runs (id, project_id, job_id, job_slug, job_version, queue, execution, status,
                                      max_attempts, scheduled_at)
                    VALUES ('00000000-0000-7000-8000-000000000050', '00000000-0000-7000-8000-0000000000a2',
                            '00000000-0000-7000-8000-0000000000b2', 'j', 1, 'q', 'worker', 'queued', 3, now())""");
        }
        try (Db db = new Db(url, pg.user(), null, 2)) {
            db.migrate();
        }

        try (Connection c = DriverManager.getConnection(url, pg.user(), null); Statement s = c.createStatement()) {
            assertThat(rows(s, "SELECT id::text || project_id::text || job_id::text FROM runs ORDER BY 1"))
                    .hasSize(50)
                    .as("each run listed exactly once")
                    .containsExactlyElementsOf(
                            rows(s, "SELECT id::text || project_id::text || job_id::text FROM run_list ORDER BY 1"));
            assertThat(rows(s, "SELECT indexname FROM pg_indexes WHERE tablename = 'runs'"))
                    .doesNotContain("runs_project_list", "runs_job_list");
            assertThat(rows(s, "SELECT indexname FROM pg_indexes WHERE tablename = 'run_list' ORDER BY 1"))
                    .containsExactly("run_list_job", "run_list_parent", "run_list_project"); // parent: V19

            // a node still on the previous version makes runs with its own INSERT: listed all the same,
            // also from a session with an empty search_path (as pg_restore has)
            s.execute("SET search_path = ''");
            s.execute("""
                    INSERT INTO public.runs (id, project_id, job_id, job_slug, job_version, queue, execution, status,
                                      max_attempts, scheduled_at)
                    VALUES ('00000000-0000-7000-8000-000000000051', '00000000-0000-7000-8000-0000000000a1',
                            '00000000-0000-7000-8000-0000000000b1', 'j', 1, 'q', 'worker', 'queued', 3, now())""");
            assertThat(rows(s, "SELECT project_id::text || job_id::text FROM public.run_list "
                    + "WHERE id = '00000000-0000-7000-8000-000000000051'"))
                    .containsExactly("00000000-0000-7000-8000-0000000000a100000000-0000-7000-8000-0000000000b1");
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
