package io.drover.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The bad-input tests' "nothing changed" check covers every table, a new one included. */
@DroverTest
class SnapshotTest {
    static TestServer server;

    private static void sql(String statement) {
        server.db().read(c -> {
            try (Statement s = c.createStatement()) {
                s.execute(statement);
            }
            return null;
        });
    }

    @Test
    void everyTableOfTheSchemaButTheExcludedOnesIsFingerprinted() {
        Set<String> catalog = server.db().read(c -> {
            Set<String> names = new TreeSet<>();
            // partitions (run_events', V17) are read through their partitioned table
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT c.relname FROM pg_class c "
                    + "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() "
                    + "AND c.relkind IN ('r', 'p') AND NOT c.relispartition")) {
                while (rs.next()) {
                    names.add(rs.getString(1));
                }
            }
            return names;
        });
        assertThat(catalog).contains("runs", "run_list", "sessions", "login_failures", "flyway_schema_history");
        Set<String> expected = new TreeSet<>(catalog);
        expected.removeAll(Snapshot.EXCLUDED_TABLES.keySet());
        assertThat(Snapshot.of(server.db()).tables().keySet()).containsExactlyInAnyOrderElementsOf(expected);
    }

    @Test
    void aTableThatANewMigrationAddsIsCheckedWithoutBeingListed() {
        sql("CREATE TABLE later_feature (id int PRIMARY KEY, note text)");
        Snapshot before = Snapshot.of(server.db());
        assertThat(before.tables()).containsKey("later_feature");
        sql("INSERT INTO later_feature VALUES (1, 'written by a request that should have been refused')");
        assertThat(before.diff(Snapshot.of(server.db()))).startsWith("later_feature: 0 rows");
        sql("UPDATE later_feature SET note = 'changed in place'");
        Snapshot after = Snapshot.of(server.db());
        sql("UPDATE later_feature SET note = 'changed again'");
        assertThat(after.diff(Snapshot.of(server.db()))).as("an update in place shows too").startsWith("later_feature:");
    }

    @Test
    void anExcludedColumnDoesNotCountButTheRestOfItsRowDoes() {
        Snapshot before = Snapshot.of(server.db());
        sql("UPDATE api_keys SET last_used_at = now() - interval '1 hour'");
        assertThat(before.diff(Snapshot.of(server.db()))).isEmpty();
        sql("UPDATE api_keys SET name = name || ' renamed'");
        assertThat(before.diff(Snapshot.of(server.db()))).startsWith("api_keys:");
    }
}
