package io.drover.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.testing.Api;
import io.drover.testing.Await;
import io.drover.testing.DroverTest;
import io.drover.testing.TestServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The schema is ready to be sharded by project (docs/scale-out.md): every table has a project_id
 * column, or is in the doc's list of tables without one, and the list names no table that has
 * one or no longer exists. The list is read from the doc, so the two cannot drift apart. Also the
 * storage settings of V13 and the project_id that schedule ticks now carry.
 */
@DroverTest
class TenancyCatalogTest {
    static TestServer server;
    static Api api;

    /** Table names in the rows of the doc's "Tables without project_id" section: | `name` | ... */
    static TreeSet<String> documentedTablesWithoutProject() throws IOException {
        String doc = null;
        for (Path p : List.of(Path.of("../docs/scale-out.md"), Path.of("docs/scale-out.md"))) {
            if (Files.exists(p)) {
                doc = Files.readString(p);
                break;
            }
        }
        assertThat(doc).as("docs/scale-out.md from " + Path.of("").toAbsolutePath()).isNotNull();
        int start = doc.indexOf("\n## Tables without project_id");
        assertThat(start).as("section '## Tables without project_id' in docs/scale-out.md").isGreaterThanOrEqualTo(0);
        int end = doc.indexOf("\n## ", start + 1);
        String section = end < 0 ? doc.substring(start) : doc.substring(start, end);
        TreeSet<String> names = new TreeSet<>();
        Matcher m = Pattern.compile("(?m)^\\| `([a-z_0-9]+)` \\|").matcher(section);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    private static TreeSet<String> query(String sql) {
        return server.db().read(c -> {
            TreeSet<String> out = new TreeSet<>();
            try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
            return out;
        });
    }

    @Test
    void everyTableHasProjectIdOrIsListedInTheScaleOutPlan() throws IOException {
        TreeSet<String> tables = query("""
                SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition""");
        TreeSet<String> withoutProject = query("""
                SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition
                  AND NOT EXISTS (SELECT 1 FROM pg_attribute a
                                  WHERE a.attrelid = c.oid AND a.attname = 'project_id' AND NOT a.attisdropped)""");
        TreeSet<String> listed = documentedTablesWithoutProject();
        assertThat(tables).as("the schema's tables").contains("runs", "run_events", "users", "flyway_schema_history");

        TreeSet<String> unplaced = new TreeSet<>(withoutProject);
        unplaced.removeAll(listed);
        assertThat(unplaced)
                .as("tables without project_id that docs/scale-out.md does not list (add project_id, or list the"
                        + " table with its placement and reason)")
                .isEmpty();
        TreeSet<String> stale = new TreeSet<>(listed);
        stale.removeAll(withoutProject);
        assertThat(stale).as("tables docs/scale-out.md lists as without project_id that have it or do not exist")
                .isEmpty();
    }

    @Test
    void highChurnTablesHaveTheirVacuumAndFillfactorSettings() {
        Map<String, List<String>> expected = Map.of(
                "runs", List.of("fillfactor=80", "autovacuum_vacuum_scale_factor=0.01",
                        "autovacuum_vacuum_threshold=10000", "autovacuum_vacuum_insert_scale_factor=0.05",
                        "autovacuum_analyze_scale_factor=0.02"),
                "run_list", List.of("autovacuum_vacuum_insert_scale_factor=0.02"),
                "workflow_runs", List.of("fillfactor=80", "autovacuum_vacuum_scale_factor=0.05"),
                "workflow_step_runs", List.of("fillfactor=50", "autovacuum_vacuum_scale_factor=0.05"),
                "audit_log", List.of("autovacuum_vacuum_insert_scale_factor=0.05"),
                "audit_heads", List.of("fillfactor=50"),
                "sessions", List.of("fillfactor=90", "autovacuum_vacuum_scale_factor=0.05"),
                "schedule_ticks", List.of("fillfactor=90", "autovacuum_vacuum_insert_scale_factor=0.05"));
        for (var e : expected.entrySet()) {
            List<String> options = server.db().read(c -> {
                try (PreparedStatement ps = c.prepareStatement(
                        "SELECT coalesce(reloptions, '{}') FROM pg_class WHERE oid = ?::regclass")) {
                    ps.setString(1, e.getKey());
                    try (ResultSet rs = ps.executeQuery()) {
                        assertThat(rs.next()).isTrue();
                        return List.of((String[]) rs.getArray(1).getArray());
                    }
                }
            });
            assertThat(options).as(e.getKey() + " reloptions").containsAll(e.getValue());
        }
        // run_events is partitioned (V17): a partitioned table has no storage parameters, each partition
        // carries V13's setting (run_events_p0 kept it, the others got it when they were made)
        String sql = "SELECT c.relname || ' ' || coalesce(c.reloptions, '{}')::text "
                + "FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'run_events'::regclass";
        // the retention pass makes the months ahead when the server starts
        Await.until("partitions made ahead", Duration.ofSeconds(20), () -> query(sql).size() >= 3);
        assertThat(query(sql)).allSatisfy(p -> assertThat(p).contains("autovacuum_vacuum_insert_scale_factor=0.02"));
    }

    @Test
    void scheduleTicksCarryTheProjectOfTheirSchedule() {
        var created = api.post("/v1/jobs", Map.of("slug", "tenancy-ticks", "schedule", Map.of("interval_secs", 1)));
        assertThat(created.status()).as(created.text()).isEqualTo(201);
        UUID jobId = UUID.fromString(created.json().get("id").asText());
        String sql = """
                SELECT coalesce(t.project_id::text, 'null') || ' ' || j.project_id::text
                FROM schedule_ticks t JOIN schedules s ON s.id = t.schedule_id JOIN jobs j ON j.id = s.job_id
                WHERE s.job_id = '%s'""".formatted(jobId);
        Await.until("a tick of the schedule", Duration.ofSeconds(20), () -> !query(sql).isEmpty());
        List<String> rows = new ArrayList<>(query(sql));
        for (String row : rows) {
            String[] ids = row.split(" ");
            assertThat(ids[0]).as("tick project_id").isEqualTo(ids[1]);
        }
    }
}
