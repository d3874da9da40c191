package io.drover.store;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.testing.Api;
import io.drover.testing.Await;
import io.drover.testing.TestServer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Where the updates of a workload land: HOT, same page non-HOT, or another page
 * (pg_stat_user_tables n_tup_hot_upd, n_tup_newpage_upd) and the size of runs afterwards, to choose
 * the fillfactors of V13 and V14 (docs/scale-out.md). Five 200-wide fan-out/fan-in workflow runs and 2,000
 * plain runs, claimed and completed in batches of 100 by one worker. Not part of the test suite
 * (the name does not end in Test); run it with
 * {@code mvn -B -q -pl server -am test -o -Dtest=FillfactorBench -Dsurefire.failIfNoSpecifiedTests=false}
 * and read the FILLFACTOR lines. To compare fillfactors, edit the latest ALTER TABLE of each (V14 for runs) between runs; where versions land is not what a job costs: check throughput with bench/peers.
 */
class FillfactorBench {
    @Test
    void measure() throws Exception {
        int n = 200;
        try (TestServer server = TestServer.start()) {
            Api api = new Api(server);
            api.post("/v1/jobs", Map.of("slug", "noop", "queue", "bench", "max_attempts", 1));
            List<Object> fan = new ArrayList<>();
            List<String> ids = new ArrayList<>();
            fan.add(Map.of("id", "root", "job", "noop"));
            for (int i = 0; i < n; i++) {
                fan.add(Map.of("id", "f" + i, "job", "noop", "depends_on", List.of("root")));
                ids.add("f" + i);
            }
            fan.add(Map.of("id", "join", "job", "noop", "depends_on", ids));
            api.post("/v1/workflows", Map.of("slug", "fan", "steps", fan));
            boolean[] stop = {false};
            Thread w = Thread.ofPlatform().start(() -> {
                while (!stop[0]) {
                    var claimed = api.post("/v1/worker/claim", Map.of("worker_id", "w", "queues", List.of("bench"),
                            "max", 100, "wait_ms", 200));
                    if (claimed.status() != 200 || claimed.json().get("data").isEmpty()) continue;
                    List<Object> results = new ArrayList<>();
                    for (JsonNode run : claimed.json().get("data")) {
                        results.add(Map.of("run_id", run.get("id").asText(), "result", Map.of()));
                    }
                    api.post("/v1/worker/complete", Map.of("worker_id", "w", "results", results));
                }
            });
            for (int k = 0; k < 5; k++) {
                String runId = api.post("/v1/workflows/fan/trigger", Map.of("input", Map.of())).json().get("id").asText();
                Await.until("wf", Duration.ofMinutes(3), () -> !api.get("/v1/workflow-runs/" + runId).json().get("status").asText().equals("running"));
            }
            for (int k = 0; k < 5; k++) {
                api.post("/v1/jobs/noop/trigger/batch", Map.of("runs", Collections.nCopies(400, Map.of())));
            }
            Await.until("all done", Duration.ofMinutes(3), () -> count(server, "SELECT count(*) FROM runs WHERE status <> 'completed'") == 0);
            stop[0] = true;
            w.join(5000);
            Await.until("stats", Duration.ofSeconds(60), () -> count(server, "SELECT n_tup_upd FROM pg_stat_user_tables WHERE relname = 'workflow_step_runs'") > 0
                    && count(server, "SELECT n_tup_upd FROM pg_stat_user_tables WHERE relname = 'runs'") >= 2 * count(server, "SELECT count(*) FROM runs"));
            long[] last = {-1};
            Await.until("statistics settled", Duration.ofSeconds(60), () -> {
                long now = count(server, "SELECT sum(n_tup_upd) FROM pg_stat_user_tables");
                boolean same = now == last[0];
                last[0] = now;
                return same;
            });
            try (Connection c = server.db().dataSource().getConnection();
                    PreparedStatement ps = c.prepareStatement("SELECT relname || ' pages=' || pg_relation_size(relid) / 8192, n_tup_ins, n_tup_upd, n_tup_hot_upd, n_tup_newpage_upd FROM pg_stat_user_tables WHERE relname IN ('runs','workflow_runs','workflow_step_runs','audit_heads') ORDER BY 1");
                    ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    System.out.printf("FILLFACTOR %s ins=%d upd=%d hot=%d newpage=%d%n", rs.getString(1), rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getLong(5));
                }
            }
        }
    }

    static long count(TestServer s, String sql) {
        return s.db().read(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : 0L;
            }
        });
    }
}
