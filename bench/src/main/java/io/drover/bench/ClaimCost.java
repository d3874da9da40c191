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
 * statement the worker protocol uses, each timed. After each claim as many new runs are queued
 * (untimed), so that the backlog stays the same size while the claimed rows pile up as the dead
 * index entries a real queue has. At the large size, EXPLAIN (ANALYZE, BUFFERS) of the claim
 * statement is captured inside a transaction that is rolled back.
 */
final class ClaimCost {

    record Params(int small, int large, int claims, int batch, int warmup) {
        String describe() {
            return String.format("%,d timed claims of %d runs (after %d warm-up claims) through RunStore.claim at "
                    + "%,d and at %,d queued runs; the backlog is topped up by %d after each claim", claims, batch,
                    warmup, small, large, batch);
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
        try (Harness.Node node = h.node("claimcost")) {
            node.client.createJob(JobSpec.builder("bench-claim").queue("claim").build());
            JobRow job;
            try (Connection c = node.connection(); Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SELECT id, project_id, slug, version, queue FROM jobs")) {
                rs.next();
                job = new JobRow(rs.getObject(1, UUID.class), rs.getObject(2, UUID.class), rs.getString(3),
                        rs.getInt(4), rs.getString(5));
            }
            node.resetStatements();
            Point small = measure(node, job, p, p.small());
            long t = System.nanoTime();
            fill(node, job, p.large());
            double insertSecs = (System.nanoTime() - t) / 1e9;
            Point large = measure(node, job, p, p.large());
            String plan = explain(node, job, p.batch(), false);
            String generic;
            try {
                generic = explain(node, job, p.batch(), true);
            } catch (SQLException e) {
                generic = "(EXPLAIN (GENERIC_PLAN) failed: " + e.getMessage() + ")";
            }
            return new Result(small, large, insertSecs, plan, generic, node.topStatements(6));
        }
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

    private static Point measure(Harness.Node node, JobRow job, Params p, int size) throws SQLException {
        fill(node, job, size);
        RunStore runs = node.server.runs();
        List<Double> ms = new ArrayList<>();
        double busy = 0;
        for (int i = 0; i < p.warmup() + p.claims(); i++) {
            long t = System.nanoTime();
            List<Run> claimed = runs.claim(job.projectId(), "bench-claimer", List.of(job.queue()), p.batch(), 300_000);
            long took = System.nanoTime() - t;
            if (claimed.size() != p.batch()) {
                throw new IllegalStateException("claimed " + claimed.size() + " runs, expected " + p.batch());
            }
            if (i >= p.warmup()) {
                ms.add(took / 1e6);
                busy += took / 1e9;
            }
            insert(node, job, claimed.size());
        }
        int after = queued(node, job);
        if (after != size) {
            throw new IllegalStateException("the backlog drifted to " + after + " runs");
        }
        return new Point(size, Stats.of(ms), p.claims() / busy);
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
