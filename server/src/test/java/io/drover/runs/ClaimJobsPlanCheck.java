package io.drover.runs;

import io.drover.store.Sql;
import io.drover.testing.TestServer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * A measurement, not part of the suite (the name does not end in Test): the plans of {@code claim}
 * and {@code claim_jobs} on a deep queue, generic plans (what a server-side prepared statement
 * ends up with), each run inside a transaction that is rolled back. Run it with
 * {@code mvn -B -q -pl server -am test -o -Dtest=ClaimJobsPlanCheck -Dsurefire.failIfNoSpecifiedTests=false}
 * and read the plans in its output. Measured 2026-12-07 on the loaded 2-core machine, 400,002 ready
 * runs (two jobs, interleaved): {@code claim} and {@code claim_jobs} naming both jobs or one walk
 * runs_claim for 100 runs in 2-20 ms (the same plan shape; one job: 90-115 rows removed by the
 * filter); naming a job with no ready run walks the whole queue, 2.4-2.9 s (with job_slug's own
 * statistics the planner chose two sequential scans of the table instead, 0.8 s).
 */
class ClaimJobsPlanCheck {

    private static final int DEPTH = Integer.getInteger("claimPlan.depth", 200_000);

    @Test
    void plansOnADeepQueue() throws Exception {
        try (TestServer server = TestServer.start(Map.of("DROVER_PUSH_ENABLED", "false"))) {
            RunFixture fx = new RunFixture(server);
            fx.job("deep-a", Map.of("queue", "deep"));
            fx.job("deep-b", Map.of("queue", "deep"));
            fx.triggerId("deep-a");
            fx.triggerId("deep-b");
            UUID project = ClaimCursorTest.projectOf(server);
            Sql sql = Sql.load("/sql/runs.sql", Map.of(
                    "RUN_COLUMNS_R", Arrays.stream(Run.COLUMNS.split(", ")).map(c -> "r." + c)
                            .collect(Collectors.joining(", ")),
                    "RUN_COLUMNS", Run.COLUMNS));
            try (Connection c = server.db().openDedicated()) {
                // server-side prepared from the first execution, so that force_generic_plan applies
                c.unwrap(org.postgresql.PGConnection.class).setPrepareThreshold(-1);
                try (Statement s = c.createStatement()) {
                    // DEPTH runs of each job, interleaved by id: every other ready run is deep-b's
                    s.execute("INSERT INTO runs (id, project_id, job_id, job_slug, job_version, queue, execution, "
                            + "limited, admitted, max_attempts, status, metadata, priority, scheduled_at) "
                            + "SELECT gen_random_uuid(), project_id, job_id, job_slug, job_version, queue, execution, "
                            + "limited, admitted, max_attempts, status, metadata, priority, scheduled_at "
                            + "FROM runs, generate_series(1, " + DEPTH + ") WHERE queue = 'deep'");
                    s.execute("VACUUM ANALYZE runs");
                    s.execute("SET plan_cache_mode = force_generic_plan");
                }
                c.setAutoCommit(false);
                for (List<String> jobs : Arrays.asList(null, List.of("deep-a", "deep-b"), List.of("deep-a"),
                        List.of("deep-none"))) {
                    for (int round = 0; round < 2; round++) { // the second shows a warm cache
                        String name = jobs == null ? "claim" : "claim_jobs";
                        // bound by name, as RunSql.claim binds them (the statement's parameters move as it grows)
                        io.drover.store.Statement st = sql.statement(name).replace("WITH picked AS MATERIALIZED",
                                "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) WITH picked AS MATERIALIZED");
                        try (io.drover.store.Query ps = st.prepare(c)) {
                            ps.setArray("queues", "text", new Object[] {"deep"})
                                    .setArray("priorities", "int4", new Object[] {ClaimCursors.START_PRIORITY})
                                    .setArray("floors", "uuid", new Object[] {ClaimCursors.START_ID})
                                    .set("project_id", project).set("max", 100).set("worker_id", "w")
                                    .set("lease_ms", 30_000L).set("now", null, java.sql.Types.TIMESTAMP);
                            if (jobs != null) {
                                ps.setArray("jobs", "text", jobs.toArray());
                            }
                            StringBuilder plan = new StringBuilder();
                            try (ResultSet rs = ps.query()) {
                                while (rs.next()) {
                                    plan.append(rs.getString(1)).append('\n');
                                }
                            }
                            System.out.println("=== " + name + " jobs=" + jobs + " round " + round + " ("
                                    + 2 * (DEPTH + 1) + " queued runs)\n" + plan);
                        }
                        c.rollback();
                    }
                }
            }
        }
    }
}
