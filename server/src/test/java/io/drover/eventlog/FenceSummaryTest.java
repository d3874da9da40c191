package io.drover.eventlog;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.http.Json;
import io.drover.testing.Await;
import io.drover.testing.TestServer;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The fence writer summarizes the BRIN ranges on xid of run_events' partitions (V17 made
 * run_events a partitioned table, whose own size is 0), so that a bucket read looks at the pages
 * of its transactions and not at the whole unsummarized tail of the current month's partition.
 */
class FenceSummaryTest {
    @Test
    void aReadOfTheNewestBucketSkipsTheFilledRangesOfThePartitions() throws Exception {
        try (TestServer server = TestServer.start()) {
            server.db().tx(c -> {
                try (Statement s = c.createStatement()) {
                    // ~20,000 events of runs made now: the current month's partition, some 700 pages
                    s.execute("INSERT INTO run_events (project_id, run_id, type, attempt, message) "
                            + "SELECT gen_random_uuid(), drover_uuidv7(), 'created', 0, repeat('x', 200) "
                            + "FROM generate_series(1, 20000)");
                }
                return null;
            });
            Await.until("the filled ranges summarized", Duration.ofSeconds(30), () -> lossyPages(server) < 100);
            assertThat(lossyPages(server)).isLessThan(100);
        }
    }

    /** Heap pages a read of rows newer than every event has to look at (BRIN: lossy pages). */
    private static long lossyPages(TestServer server) {
        return server.db().read(c -> {
            try (Statement s = c.createStatement()) {
                s.execute("SET enable_seqscan = off");
                try (ResultSet rs = s.executeQuery("EXPLAIN (ANALYZE, FORMAT JSON) SELECT count(*) FROM run_events "
                        + "WHERE xid >= pg_current_xact_id()::text::bigint")) {
                    rs.next();
                    JsonNode plan = Json.MAPPER.readTree(rs.getString(1));
                    s.execute("RESET enable_seqscan");
                    return sum(plan, "Lossy Heap Blocks") + sum(plan, "Exact Heap Blocks");
                } catch (java.io.IOException e) {
                    throw new IllegalStateException(e);
                }
            }
        });
    }

    private static long sum(JsonNode n, String field) {
        long total = n.path(field).asLong(0);
        for (JsonNode child : n) {
            total += sum(child, field);
        }
        return total;
    }
}
