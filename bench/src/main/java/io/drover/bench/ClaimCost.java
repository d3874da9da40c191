package io.drover.bench;

import io.drover.client.JobSpec;
import io.drover.runs.Run;
import io.drover.runs.RunStore;
import io.drover.store.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * What one claim costs with a small and a huge backlog. Queued runs are inserted with plain SQL
 * (INSERT ... SELECT generate_series into the real runs table, for a real job; no run events for
 * these setup rows); then claims of {@code batch} runs go through {@link RunStore#claim}, the
 * statement the worker protocol uses, each timed, alternating between a database with the small
 * backlog and one with the large, so that both see the same machine load. After each claim as many
 * new runs are queued
 * (untimed), so that the backlog stays the same size while the claimed rows pile up as the dead
 * index entries a real queue has. At the large size, EXPLAIN (ANALYZE, BUFFERS) of the claim
 * statement is captured inside a transaction that is rolled back.
 */
final class ClaimCost {

    record Params(int small, int large, int claims, int batch, int warmup) {
        String describe() {
            return String.format("%,d timed claims of %d runs (after %d warm-up claims) through RunStore.claim at "
                    + "%,d and at %,d queued runs, in two databases, alternating between them so that both see the "
                    + "same machine load; each backlog is topped up by %d after each claim", claims, batch, warmup,
                    small, large, batch);
        }
    }

    record Point(int queued, Stats ms, double claimsPerSec) {}

    record Result(Point small, Point large, double insertSeconds, String plan, String genericPlan,
                  List<Bench.Statement> statements) {}

    private static final String INSERT = """
            INSERT INTO runs (id, project_id, job_id, job_slug, job_version, queue, execution, status, max_attempts,
                              payload, metadata, scheduled_at)
            SELECT drover_uuidv7(), ?, ?, ?, ?, ?, 'worker', 'queued', 3, jsonb_build_object('n', g), '{}', now()
            FROM generate_series(1, ?) g""";

    private record JobRow(UUID id, UUID projectId, String slug, int version, String queue) {}

    static Result run(Harness h, Params p) throws Exception {
        // Two databases, one per backlog size, measured in alternation: both sizes then see the same
        // load from the rest of the machine, which a shared 2-core machine changes minute by minute.
        try (Harness.Node smallNode = h.node("claim_small"); Harness.Node largeNode = h.node("claim_large")) {
            JobRow smallJob = job(smallNode);
            JobRow largeJob = job(largeNode);
            smallNode.resetStatements();
            fill(smallNode, smallJob, p.small());
            long t = System.nanoTime();
            fill(largeNode, largeJob, p.large());
            double insertSecs = (System.nanoTime() - t) / 1e9;
            List<Double> small = new ArrayList<>();
            List<Double> large = new ArrayList<>();
            for (int i = 0; i < p.warmup() + p.claims(); i++) {
                boolean smallFirst = i % 2 == 0;
                double a = claimOnce(smallFirst ? smallNode : largeNode, smallFirst ? smallJob : largeJob, p.batch());
                double b = claimOnce(smallFirst ? largeNode : smallNode, smallFirst ? largeJob : smallJob, p.batch());
                if (i >= p.warmup()) {
                    small.add(smallFirst ? a : b);
                    large.add(smallFirst ? b : a);
                }
            }
            for (var x : List.of(new Object[] {smallNode, smallJob, p.small()}, new Object[] {largeNode, largeJob,
                    p.large()})) {
                int after = queued((Harness.Node) x[0], (JobRow) x[1]);
                if (after != (int) x[2]) {
                    throw new IllegalStateException("the backlog drifted to " + after + " runs");
                }
            }
            String plan = explain(largeNode, largeJob, p.batch(), false);
            String generic;
            try {
                generic = explain(largeNode, largeJob, p.batch(), true);
            } catch (SQLException e) {
                generic = "(EXPLAIN (GENERIC_PLAN) failed: " + e.getMessage() + ")";
            }
            return new Result(point(p.small(), small), point(p.large(), large), insertSecs, plan, generic,
                    largeNode.topStatements(6));
        }
    }

    private static JobRow job(Harness.Node node) throws SQLException {
        node.client.createJob(JobSpec.builder("bench-claim").queue("claim").build());
        try (Connection c = node.connection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT id, project_id, slug, version, queue FROM jobs")) {
            rs.next();
            return new JobRow(rs.getObject(1, UUID.class), rs.getObject(2, UUID.class), rs.getString(3), rs.getInt(4),
                    rs.getString(5));
        }
    }

    /** One timed claim through RunStore.claim, then (untimed) as many new runs queued as were claimed. */
    private static double claimOnce(Harness.Node node, JobRow job, int batch) throws SQLException {
        long t = System.nanoTime();
        List<Run> claimed = node.server.runs().claim(job.projectId(), "bench-claimer", List.of(job.queue()), batch,
                300_000);
        double ms = (System.nanoTime() - t) / 1e6;
        if (claimed.size() != batch) {
            throw new IllegalStateException("claimed " + claimed.size() + " runs, expected " + batch);
        }
        insert(node, job, claimed.size());
        return ms;
    }

    private static Point point(int queued, List<Double> ms) {
        double busy = ms.stream().mapToDouble(Double::doubleValue).sum() / 1000;
        return new Point(queued, Stats.of(ms), ms.size() / busy);
    }

    /** Tops the queue up to {@code target} queued runs, then vacuums and analyzes the table. */
    private static void fill(Harness.Node node, JobRow job, int target) throws SQLException {
        int queued = queued(node, job);
        int missing = target - queued;
        for (int done = 0; done < missing; ) {
            int n = Math.min(100_000, missing - done);
            insert(node, job, n);
            done += n;
            if (missing > 100_000) {
                System.err.printf("bench:   queued %,d of %,d%n", queued + done, target);
            }
        }
        try (Connection c = node.connection(); Statement s = c.createStatement()) {
            s.execute("VACUUM (ANALYZE) runs");
        }
    }

    private static int queued(Harness.Node node, JobRow job) throws SQLException {
        try (Connection c = node.connection(); PreparedStatement ps = c.prepareStatement(
                "SELECT count(*) FROM runs WHERE job_id = ? AND status = 'queued'")) {
            ps.setObject(1, job.id());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    private static void insert(Harness.Node node, JobRow job, int n) throws SQLException {
        try (Connection c = node.connection(); PreparedStatement ps = c.prepareStatement(INSERT)) {
            ps.setObject(1, job.projectId());
            ps.setObject(2, job.id());
            ps.setString(3, job.slug());
            ps.setInt(4, job.version());
            ps.setString(5, job.queue());
            ps.setInt(6, n);
            ps.executeUpdate();
        }
    }

    /** EXPLAIN (ANALYZE, BUFFERS) of the claim as RunStore sends it, rolled back; or its generic plan. */
    private static String explain(Harness.Node node, JobRow job, int batch, boolean generic) throws SQLException {
        String claim = Sql.load("/sql/runs.sql", Map.of(
                "RUN_COLUMNS_R", Arrays.stream(Run.COLUMNS.split(", ")).map(c -> "r." + c)
                        .collect(Collectors.joining(", ")),
                "RUN_COLUMNS", Run.COLUMNS)).get("claim");
        // The statement without its leading comment lines, so that the plan starts at the top.
        String body = Arrays.stream(claim.split("\n")).filter(l -> !l.strip().startsWith("--"))
                .collect(Collectors.joining("\n"));
        StringBuilder out = new StringBuilder();
        try (Connection c = node.connection()) {
            c.setAutoCommit(false);
            try {
                if (generic) {
                    // The plan a prepared statement may switch to after five runs: no parameter values known.
                    int[] n = {0};
                    String numbered = java.util.regex.Pattern.compile("\\?").matcher(body)
                            .replaceAll(m -> "\\$" + (++n[0]));
                    // The simple query protocol, so that the driver sends $1.. as text rather than binding them.
                    try (Connection simple = java.sql.DriverManager.getConnection(
                                    node.server.db().jdbcUrl() + "&preferQueryMode=simple");
                            Statement s = simple.createStatement();
                            ResultSet rs = s.executeQuery("EXPLAIN (GENERIC_PLAN, COSTS OFF) " + numbered)) {
                        while (rs.next()) {
                            out.append(rs.getString(1)).append('\n');
                        }
                    }
                } else {
                    try (PreparedStatement ps = c.prepareStatement("EXPLAIN (ANALYZE, BUFFERS) " + body)) {
                        ps.setArray(1, c.createArrayOf("text", new Object[] {job.queue()}));
                        ps.setObject(2, job.projectId());
                        ps.setInt(3, batch);
                        ps.setInt(4, batch);
                        ps.setString(5, "bench-explain");
                        ps.setLong(6, 300_000);
                        try (ResultSet rs = ps.executeQuery()) {
                            while (rs.next()) {
                                out.append(rs.getString(1)).append('\n');
                            }
                        }
                    }
                }
            } finally {
                c.rollback();
                c.setAutoCommit(true);
            }
        }
        return out.toString().stripTrailing();
    }
}
