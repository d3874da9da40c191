package io.drover.bench;

import io.drover.client.DroverClient;
import io.drover.client.JobSpec;
import io.drover.client.TriggerRequest;
import io.drover.client.Worker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The retention target of issue 16: a project holds {@code --runs} finished runs (40 days old, with
 * {@code --events} events each, filled with {@code INSERT ... SELECT generate_series}), and SDK
 * workers drain a queue that a feeder keeps topped up. Claim throughput (runs handled per second) is
 * measured for {@code --window} seconds without the prune, then while one retention pass
 * ({@code RetentionPass.runProject}, production batch and pause) removes the old runs, then again
 * without it; the report gives the ratio during/without and the prune's rate (runs/s).
 *
 * <p>{@code --mode partitions} (the default): the old runs' ids are UUIDv7s of their own time (40
 * days ago), and the database's run_events partitions are laid out as on an installation that has
 * been on V17 for months (monthly partitions back to the old runs' month; the fresh database has
 * one partition for everything below next month), so the pass is the hourly one
 * ({@code RetentionPass.runHourly}): runs and list rows deleted row by row, their events dropped
 * with their partitions. {@code --mode rows}: the old runs' events deleted row by row with them
 * ({@code runProject}), as before V17.
 */
public final class RetentionBench {
    public static void main(String[] args) throws Exception {
        Path root = Path.of(".");
        String command = "./bench/retention";
        int runs = 1_000_000;
        int events = 3;
        int windowSecs = 30;
        int workers = 2;
        int concurrency = 50;
        String mode = "partitions";
        Path out = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--root" -> root = Path.of(args[++i]);
                case "--command" -> command = args[++i];
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--events" -> events = Integer.parseInt(args[++i]);
                case "--window" -> windowSecs = Integer.parseInt(args[++i]);
                case "--workers" -> workers = Integer.parseInt(args[++i]);
                case "--concurrency" -> concurrency = Integer.parseInt(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                case "--mode" -> mode = args[++i];
                case "--help" -> {
                    System.out.println("""
                            ./bench/retention [--runs 1000000] [--events 3] [--window 30] [--workers 2] \
                            [--concurrency 50] [--mode partitions|rows] [--out bench/results/retention-latest.md]""");
                    return;
                }
                default -> throw new IllegalArgumentException("unknown option " + args[i] + " (--help lists them)");
            }
        }
        if (!mode.equals("partitions") && !mode.equals("rows")) {
            throw new IllegalArgumentException("--mode partitions or rows");
        }
        boolean partitioned = mode.equals("partitions");
        if (out == null) {
            out = root.resolve("bench/results/retention-latest.md");
        }
        try (Harness h = Harness.start(); Harness.Node node = h.node("retention")) {
            String slug = "bench-drain";
            String queue = "drain";
            node.client.createJob(JobSpec.builder(slug).queue(queue).build());
            UUID project;
            long t0 = System.nanoTime();
            try (Connection c = node.connection(); Statement s = c.createStatement()) {
                try (ResultSet rs = s.executeQuery("SELECT project_id FROM jobs WHERE slug = '" + slug + "'")) {
                    rs.next();
                    project = rs.getObject(1, UUID.class);
                }
                s.execute("UPDATE projects SET settings = settings || '{\"retention_days\": 30}' WHERE id = '"
                        + project + "'");
                if (partitioned) {
                    monthlyPartitions(node, s, Instant.now().minus(Duration.ofDays(41)));
                }
                // Old finished runs of another job, in chunks of 100k; run_list rows come from the trigger.
                for (int from = 0; from < runs; from += 100_000) {
                    int n = Math.min(100_000, runs - from);
                    s.execute("""
                            INSERT INTO runs (id, project_id, job_id, job_slug, job_version, queue, execution, status,
                                              max_attempts, attempt, scheduled_at, created_at, started_at, finished_at,
                                              result)
                            SELECT (lpad(to_hex((extract(epoch FROM t) * 1000)::bigint), 12, '0') || '7'
                                    || lpad(to_hex((random() * 4095)::int), 3, '0') || '8'
                                    || lpad(to_hex((random() * 4095)::int), 3, '0')
                                    || lpad(to_hex((random() * 281474976710655)::bigint), 12, '0'))::uuid,
                                   '%s', '%s', 'old-job', 1, 'old', 'worker', 'completed', 3, 1,
                                   t, t, t, t, '{"ok": true}'
                            FROM (SELECT now() - interval '40 days' + (%d + g) * interval '1 ms' AS t
                                  FROM generate_series(1, %d) g) x""".formatted(project, UUID.randomUUID(), from, n));
                }
                s.execute("""
                        INSERT INTO run_events (project_id, run_id, type, attempt, created_at)
                        SELECT r.project_id, r.id, 'e' || k, 1, r.finished_at
                        FROM runs r, generate_series(1, %d) k WHERE r.queue = 'old'""".formatted(events));
                s.execute("VACUUM ANALYZE runs");
                s.execute("VACUUM ANALYZE run_events");
                s.execute("VACUUM ANALYZE run_list");
            }
            double fillSecs = (System.nanoTime() - t0) / 1e9;
            System.out.printf("filled %,d finished runs with %,d events each in %.1f s%n", runs, events, fillSecs);

            AtomicLong handled = new AtomicLong();
            List<Worker> ws = new ArrayList<>();
            List<DroverClient> clients = new ArrayList<>();
            for (int w = 0; w < workers; w++) {
                DroverClient wc = DroverClient.builder().baseUrl(node.client.baseUrl()).apiKey(Harness.ADMIN_KEY)
                        .build();
                clients.add(wc);
                ws.add(Worker.builder().client(wc).queue(queue).workerId("drain-" + w).concurrency(concurrency)
                        .claimWait(Duration.ofSeconds(2)).handler(slug, (ctx, payload) -> {
                            handled.incrementAndGet();
                            return null;
                        }).build());
            }
            AtomicBoolean feeding = new AtomicBoolean(true);
            Thread feeder = Thread.ofPlatform().name("feeder").start(() -> {
                List<TriggerRequest> batch = new ArrayList<>();
                for (int i = 0; i < 500; i++) {
                    batch.add(TriggerRequest.of(Map.of("n", i)));
                }
                try (Connection c = node.connection();
                        PreparedStatement ps = c.prepareStatement(
                                "SELECT count(*) FROM runs WHERE queue = 'drain' AND status = 'queued'")) {
                    while (feeding.get()) {
                        long queued;
                        try (ResultSet rs = ps.executeQuery()) {
                            rs.next();
                            queued = rs.getLong(1);
                        }
                        if (queued < 3000) {
                            node.client.triggerBatch(slug, batch);
                        } else {
                            Thread.sleep(20);
                        }
                    }
                } catch (Exception e) {
                    if (feeding.get()) {
                        e.printStackTrace();
                    }
                }
            });
            ws.forEach(Worker::start);
            Thread.sleep(5_000); // warm up
            double before = rate(handled, windowSecs);
            System.out.printf("claims without the prune: %.0f/s%n", before);

            node.resetStatements();
            long pruneStart = System.nanoTime();
            long h0 = handled.get();
            Map<String, Long> deleted = partitioned ? node.server.retention().runHourly()
                    : node.server.retention().runProject(project);
            long h1 = handled.get();
            double pruneSecs = (System.nanoTime() - pruneStart) / 1e9;
            double during = (h1 - h0) / pruneSecs;
            System.out.printf("claims during the prune: %.0f/s; prune: %s in %.1f s (%.0f runs/s)%n", during,
                    deleted, pruneSecs, deleted.get("runs") / pruneSecs);

            StringBuilder top = new StringBuilder();
            for (var st : node.topStatements(6)) {
                top.append(String.format("| %,.0f | %,d | %.2f | `%s` |%n", st.totalMs(), st.calls(), st.meanMs(),
                        st.query().replaceAll("\\s+", " ").substring(0, Math.min(90, st.query().replaceAll("\\s+", " ").length()))
                                .replace("|", "\\|")));
            }
            System.out.print(top);
            double after = rate(handled, windowSecs);
            System.out.printf("claims after the prune: %.0f/s%n", after);
            feeding.set(false);
            feeder.join(10_000);
            ws.forEach(w -> w.stop(Duration.ofSeconds(10)));
            clients.forEach(DroverClient::close);

            double baseline = (before + after) / 2;
            Machine m = Machine.describe(h);
            String md = """
                    # Retention benchmark (issue 16)

                    Command: `%s`, run at %s on %s, CPU %s (load average at the end %.1f).
                    PostgreSQL: %s; %s.

                    Mode `%s`: %s

                    A project holds %,d finished runs, 40 days old, with %d events each (filled with
                    `INSERT ... SELECT generate_series` in %.1f s), and `retention_days` = 30. %d SDK workers
                    (concurrency %d) drain a queue that a feeder keeps at about 3,000 queued runs. Claim throughput
                    is runs handled per second: %d s without the prune, during one retention pass
                    (`RetentionPass.%s`, batch %d, pause %d ms between full batches), then %d s without it.

                    | phase | claims/s |
                    |---|---|
                    | before the prune | %.0f |
                    | during the prune | %.0f |
                    | after the prune | %.0f |

                    **During / without (mean of before and after): %.2f** (target: at least 0.80).

                    Prune: %s in %.1f s, **%.0f runs/s** (each run with its %d events and its list row%s).

                    Statements by total time during the prune (pg_stat_statements, this database):

                    | total ms | calls | mean ms | statement |
                    |---|---|---|---|
                    %s                    """.formatted(command, Instant.now(), m.nproc() + " cores, " + m.memory(), m.cpuModel(),
                    java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
                    h.postgresVersion(), h.settings(), mode, partitioned
                            ? "the old runs' ids are of their own time and run_events has monthly partitions back to"
                            + " their month; the hourly pass deletes runs and list rows row by row and drops the"
                            + " partitions that held their events."
                            : "the old runs' events are deleted row by row with them (the on-demand pass for the"
                            + " project).", runs, events, fillSecs, workers, concurrency, windowSecs,
                    partitioned ? "runHourly" : "runProject",
                    io.drover.retention.RetentionPass.BATCH, io.drover.retention.RetentionPass.PAUSE_MS, windowSecs,
                    before, during, after, during / baseline, deleted, pruneSecs, deleted.get("runs") / pruneSecs,
                    events, partitioned ? "; the events went with their partitions" : "", top);
            Files.createDirectories(out.getParent());
            Files.writeString(out, md);
            System.out.println(md);
            System.out.println("wrote " + out);
        }
        System.exit(0);
    }

    /**
     * Lays run_events out as an installation that has been on V17 since before {@code since}: the
     * first partition (V17's, for every id below next month, empty in a fresh database) ends at the
     * month of {@code since}, and each month from there to where it ended has its own partition.
     */
    static void monthlyPartitions(Harness.Node node, Statement s, Instant since) throws java.sql.SQLException {
        var parts = node.server.retention().partitions();
        var p0 = parts.list().stream().filter(p -> p.lo() == null && !p.isDefault()).findFirst().orElseThrow();
        java.time.ZonedDateTime month = since.atZone(java.time.ZoneOffset.UTC).withDayOfMonth(1).toLocalDate()
                .atStartOfDay(java.time.ZoneOffset.UTC);
        long first = month.toInstant().toEpochMilli();
        s.execute("ALTER TABLE run_events DETACH PARTITION " + p0.name());
        s.execute("ALTER TABLE run_events ATTACH PARTITION " + p0.name() + " FOR VALUES FROM (MINVALUE) TO ('"
                + io.drover.retention.EventPartitions.floor(first) + "')");
        for (java.time.ZonedDateTime m = month; m.toInstant().toEpochMilli() < p0.hi(); m = m.plusMonths(1)) {
            long lo = m.toInstant().toEpochMilli();
            long hi = Math.min(m.plusMonths(1).toInstant().toEpochMilli(), p0.hi());
            s.execute("CREATE TABLE run_events_p" + java.time.format.DateTimeFormatter.ofPattern("yyyyMM").format(m)
                    + " PARTITION OF run_events FOR VALUES FROM ('" + io.drover.retention.EventPartitions.floor(lo)
                    + "') TO ('" + io.drover.retention.EventPartitions.floor(hi) + "')"
                    + " WITH (autovacuum_vacuum_insert_scale_factor = 0.02)");
        }
    }

    private static double rate(AtomicLong handled, int secs) throws InterruptedException {
        long a = handled.get();
        long t = System.nanoTime();
        Thread.sleep(secs * 1000L);
        return (handled.get() - a) / ((System.nanoTime() - t) / 1e9);
    }
}
