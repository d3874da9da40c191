package io.drover.bench.peers;

import io.drover.store.EmbeddedDatabase;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code ./bench/peers}: every contender in its own child JVM ({@link PeerRun}, same java, same
 * classpath), each workload on a fresh database of one embedded PostgreSQL with production
 * durability. The children warm up in turn and stay up; the timed end-to-end runs are interleaved
 * (run 1 of every contender, then run 2, ...), then each child runs its other workloads. Prints
 * one table, then the two ratio lines, and writes every figure to {@value #RESULTS} (the curated
 * figures are in docs/benchmarks.md, written by hand; this program never touches a doc).
 */
public final class Peers {
    /** Where a run writes its figures, relative to the repository root; each run overwrites it (unless --no-results). */
    static final String RESULTS = "bench/results/peers-latest.md";
    static final List<String> ALL = List.of("drover", "db-scheduler", "jobrunr", "quartz", "raw-sql");
    static final List<String> PEERS = List.of("db-scheduler", "jobrunr", "quartz");

    public static void main(String[] args) throws Exception {
        Map<String, String> o = new LinkedHashMap<>();
        o.put("contenders", String.join(",", ALL));
        o.put("jobs", "100000");
        o.put("runs", "3");
        o.put("deep", "1000000");
        o.put("drain", "50000");
        o.put("threads", "100");
        o.put("rate", "200");
        o.put("seconds", "30");
        o.put("batch", "1000");
        o.put("warmup", "400000");
        o.put("timeout", "10");
        o.put("scale", "");
        o.put("only", "e2e,latency,shallow,deep,held");
        o.put("root", ".");
        o.put("command", "./bench/peers");
        o.put("results", "true");
        o.put("interleave", "true");
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--help")) {
                System.out.println("""
                        ./bench/peers [--contenders drover,db-scheduler,jobrunr,quartz,raw-sql] [--jobs 100000] [--runs 3]
                          [--deep 1000000] [--drain 50000] [--threads 100] [--rate 200] [--seconds 30] [--batch 1000]
                          [--warmup 400000] [--scale quartz=0.2,jobrunr=0.2] [--only e2e,latency,shallow,deep,held]
                          [--timeout 10 (minutes per workload)] [--interleave true] [--no-results]
                        --scale multiplies jobs, deep, drain and warm-up for the named (slow) contenders: at full
                        size a warm-up round of Quartz (~200 jobs/s) would outlast the --timeout.
                        --interleave false runs each contender's end-to-end runs in one stretch (the default takes
                        round 1 of every contender, then round 2, ...).
                        --no-results (old name --no-doc) leaves bench/results/peers-latest.md as it was.""");
                return;
            }
            if (a.equals("--no-results") || a.equals("--no-doc")) {
                o.put("results", "false");
            } else if (a.startsWith("--") && i + 1 < args.length) {
                o.put(a.substring(2), args[++i]);
            } else {
                throw new IllegalArgumentException("unknown argument " + a + " (see --help)");
            }
        }
        Map<String, Double> scale = new LinkedHashMap<>();
        if (!o.get("scale").isBlank()) {
            for (String kv : o.get("scale").split(",")) {
                String[] p = kv.split("=");
                scale.put(p[0], Double.parseDouble(p[1]));
            }
        }
        Path root = Path.of(o.get("root"));
        String loadBefore = Files.readString(Path.of("/proc/loadavg")).strip();
        String date = ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'"));
        int runs = Integer.parseInt(o.get("runs"));
        boolean interleave = switch (o.get("interleave")) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("--interleave must be true or false");
        };
        Path dir = Files.createTempDirectory("drover-peers");
        Map<String, Map<String, String>> results = new LinkedHashMap<>();
        String pgVersion;
        Map<String, String> pgSettings = new LinkedHashMap<>();
        // BENCH_PG_STATEMENTS=1: profile with pg_stat_statements; after each contender the statements
        // that took the most database time are printed (to stderr), then the counters are reset.
        boolean statements = "1".equals(System.getenv("BENCH_PG_STATEMENTS"));
        Map<String, String> pgConf = new LinkedHashMap<>(
                Map.of("fsync", "on", "synchronous_commit", "on", "full_page_writes", "on", "max_connections", "300"));
        if (statements) {
            pgConf.put("shared_preload_libraries", "pg_stat_statements");
            pgConf.put("pg_stat_statements.track", "all");
            pgConf.put("track_io_timing", "on");
        }
        try (EmbeddedDatabase pg = EmbeddedDatabase.start(dir, pgConf)) {
            if (statements) {
                try (Connection c = pg.adminConnection(); Statement s = c.createStatement()) {
                    s.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
                }
            }
            try (Connection c = pg.adminConnection(); Statement s = c.createStatement()) {
                try (ResultSet rs = s.executeQuery("SELECT version()")) {
                    rs.next();
                    pgVersion = rs.getString(1);
                }
                for (String n : List.of("fsync", "synchronous_commit", "full_page_writes", "wal_sync_method", "shared_buffers",
                        "max_wal_size", "max_connections", "autovacuum")) {
                    try (ResultSet rs = s.executeQuery("SHOW " + n)) {
                        rs.next();
                        pgSettings.put(n, rs.getString(1));
                    }
                }
            }
            if (!"on".equals(pgSettings.get("fsync")) || !"on".equals(pgSettings.get("synchronous_commit"))) {
                throw new IllegalStateException("PostgreSQL is not durable: " + pgSettings);
            }
            // Every contender's child JVM stays up from its warm-up to its last workload. By default
            // the timed end-to-end runs are interleaved: round 1 of every contender, then round 2, ...
            // so that each round of each contender falls in the same few minutes of this shared
            // machine, whose speed drifted by up to half between one-stretch-per-contender runs
            // (raw SQL's PostgreSQL CPU per job: 0.026-0.040 ms over four full runs, same code).
            boolean e2eWanted = split(o.get("only")).contains("e2e");
            List<String> names = split(o.get("contenders"));
            Map<String, Child> children = new LinkedHashMap<>();
            AgentReceiver receiver = names.stream().anyMatch(n -> n.endsWith("+agent"))
                    ? AgentReceiver.start(pg, dir) : null;
            try {
                for (String name : names) {
                    double f = scale.getOrDefault(name, 1.0);
                    Map<String, String> r = new LinkedHashMap<>();
                    r.put("scale", String.valueOf(f));
                    results.put(name, r);
                    List<String> cmd = childCommand(name, f, o, pg.port(), dir);
                    if (name.endsWith("+agent")) {
                        // the agent's settings, before the child's main class
                        cmd.addAll(1, List.of("-Dpeers.agent.url=" + receiver.url(),
                                "-Dpeers.agent.token=" + receiver.register(name)));
                    }
                    Child child = Child.start(name, r, cmd);
                    children.put(name, child);
                    child.run("warmup");
                    if (statements) {
                        printStatements(pg, name + " warm-up");
                    }
                    if (!interleave) {
                        oneContenderRest(child, pg, statements, e2eWanted, runs);
                    }
                }
                if (interleave) {
                    interleaved(children, pg, statements, e2eWanted, runs);
                }
                if (receiver != null) {
                    for (String name : names) {
                        if (name.endsWith("+agent")) {
                            results.get(name).put("agent_events", String.valueOf(receiver.events(name)));
                        }
                    }
                }
            } finally {
                children.values().forEach(c -> c.process().destroyForcibly());
                if (receiver != null) {
                    receiver.close();
                }
            }
        } finally {
            deleteTree(dir);
        }
        String loadAfter = Files.readString(Path.of("/proc/loadavg")).strip();

        StringBuilder table = new StringBuilder();
        table.append("| contender | end-to-end jobs/s, median (runs) | CPU ms per job, e2e (contender JVM + PostgreSQL; other processes, cores) | enqueue alone jobs/s | latency p50 / p95 / p99 ms (median of runs) | "
                + "shallow drain jobs/s, median of runs | deep drain jobs/s, median of runs (vs shallow) | held horizon jobs/s, median of runs (vs end-to-end) | peak RSS MiB | "
                + "every job ran once | load (1 min) at e2e / latency / deep / held |\n");
        table.append("|---|---|---|---|---|---|---|---|---|---|---|\n");
        Map<String, Double> e2e = new LinkedHashMap<>();
        for (var en : results.entrySet()) {
            String n = en.getKey();
            Map<String, String> r = en.getValue();
            List<Double> rs = new ArrayList<>();
            List<String> loads = new ArrayList<>();
            List<Double> cpu = new ArrayList<>();
            List<Double> others = new ArrayList<>();
            boolean ok = true;
            for (int i = 1; i <= runs; i++) {
                if (r.containsKey("e2e." + i + ".rate")) {
                    rs.add(d(r, "e2e." + i + ".rate"));
                    loads.add(r.get("e2e." + i + ".load"));
                    cpu.add(d(r, "e2e." + i + ".cpu_ms_per_job"));
                    others.add(d(r, "e2e." + i + ".other_cores"));
                    ok &= r.get("e2e." + i + ".executed").equals(r.get("e2e." + i + ".jobs"));
                }
            }
            if (r.containsKey("shallow.executed")) {
                ok &= r.get("shallow.executed").equals(r.get("shallow.jobs"));
            }
            if (r.containsKey("held.executed")) {
                ok &= r.get("held.executed").equals(r.get("held.jobs"));
            }
            double med = median(rs);
            e2e.put(n, med);
            double shallow = d(r, "shallow.rate");
            double deepRate = d(r, "deep.rate");
            double held = d(r, "held.rate");
            table.append(String.format("| %s%s | %s (%s; %s jobs) | %s (%s; others %s) | %s | %s / %s / %s | %s | %s (%s) | %s (%s) | %.0f | %s | %s / %s / %s / %s |%n",
                    n, errors(r),
                    f0(med), String.join(", ", rs.stream().map(Peers::f0).toList()), f0(d(r, "e2e.1.jobs")),
                    f3(median(cpu)), String.join(", ", cpu.stream().map(Peers::f3).toList()),
                    String.join(", ", others.stream().map(Peers::f2).toList()),
                    f0(d(r, "shallow.enqueue_rate")), f2(d(r, "latency.p50")), f2(d(r, "latency.p95")),
                    f2(d(r, "latency.p99")), f0(shallow), f0(deepRate), pctOf(deepRate, shallow), f0(held),
                    pctOf(held, med), d(r, "rss_kb") / 1024, ok ? "yes" : "NO",
                    String.join(",", loads), r.getOrDefault("latency.load", "-"), r.getOrDefault("deep.load", "-"),
                    r.getOrDefault("held.load", "-")));
        }
        double best = PEERS.stream().filter(e2e::containsKey).mapToDouble(e2e::get).filter(x -> !Double.isNaN(x)).max()
                .orElse(Double.NaN);
        double drover = e2e.getOrDefault("drover", Double.NaN);
        double raw = e2e.getOrDefault("raw-sql", Double.NaN);
        String line1 = String.format("drover/best-peer throughput: %.2f", drover / best);
        String line2 = String.format("drover/raw-sql: %.2f", drover / raw);
        StringBuilder agentLines = new StringBuilder();
        for (String n : e2e.keySet()) {
            if (n.endsWith("+agent") && e2e.containsKey(n.replace("+agent", ""))) {
                agentLines.append(String.format("%s/%s throughput: %.2f (task events Drover accepted from its agent: %s)%n",
                        n, n.replace("+agent", ""), e2e.get(n) / e2e.get(n.replace("+agent", "")),
                        results.get(n).getOrDefault("agent_events", "?")));
            }
        }
        String rounds = rounds(results, runs, interleave);
        System.err.print(rounds);

        if (Boolean.parseBoolean(o.get("results"))) {
            writeResults(root, o, date, loadBefore, loadAfter, pgVersion, pgSettings, results, table.toString(), line1, line2,
                    rounds, scale, runs);
        }
        System.out.print(table);
        System.out.println();
        System.out.println(line1);
        System.out.println(line2);
        System.out.print(agentLines);
    }

    /** Round 1 of every contender's timed end-to-end runs, then round 2, ...; then the other workloads. */
    private static void interleaved(Map<String, Child> children, EmbeddedDatabase pg, boolean statements,
                                    boolean e2e, int runs) throws Exception {
        for (int i = 1; e2e && i <= runs; i++) {
            for (Child child : children.values()) {
                child.run("e2e " + i);
                if (statements) {
                    printStatements(pg, child.name() + " e2e." + i);
                }
            }
        }
        for (Child child : children.values()) {
            oneContenderRest(child, pg, statements, false, runs);
        }
    }

    /** The timed end-to-end runs (unless they were interleaved already), every other workload, and exit. */
    private static void oneContenderRest(Child child, EmbeddedDatabase pg, boolean statements, boolean e2e, int runs)
            throws Exception {
        for (int i = 1; e2e && i <= runs; i++) {
            child.run("e2e " + i);
        }
        child.run("rest");
        child.finish();
        if (statements) {
            printStatements(pg, child.name() + (e2e ? "" : " (other workloads)"));
        }
    }

    private static List<String> childCommand(String name, double f, Map<String, String> o, int port, Path dir) {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xms256m", "-Xmx2g",
                "-XX:+UseG1GC", "-Dlogback.configurationFile=logback-bench.xml",
                "-Dpeers.pgdata=" + dir.resolve("pg")));
        // For profiling a contender, e.g. BENCH_CHILD_JAVA_OPTS=-XX:StartFlightRecording=filename=drover.jfr
        String childOpts = System.getenv("BENCH_CHILD_JAVA_OPTS");
        if (childOpts != null && !childOpts.isBlank()) {
            cmd.addAll(List.of(childOpts.trim().split("\\s+")));
        }
        cmd.addAll(List.of(
                "-cp", System.getProperty("java.class.path"), PeerRun.class.getName(), name,
                String.valueOf(port), scaled(o.get("jobs"), f), o.get("runs"), scaled(o.get("deep"), f),
                scaled(o.get("drain"), f), o.get("threads"), o.get("rate"), o.get("seconds"), o.get("batch"),
                String.valueOf(Math.round(Integer.parseInt(o.get("warmup")) * f)), o.get("timeout"), o.get("only")));
        System.err.printf("peers: %s (scale %.2f) in a child JVM%n", name, f);
        return cmd;
    }

    /**
     * One contender's child JVM ({@link PeerRun}): commands go to its stdin, its RESULT lines are
     * collected into the contender's figures, and anything else it prints is passed on to stderr.
     * A child that ends (or whose stdin breaks) is recorded as an error of its contender, once, and
     * gets no more commands; the other contenders go on.
     */
    private static final class Child {
        private final String name;
        private final Process process;
        private final java.io.Writer commands;
        private final BufferedReader answers;
        private final Map<String, String> results;
        private boolean ended;

        private Child(String name, Process process, Map<String, String> results) {
            this.name = name;
            this.process = process;
            this.commands = new java.io.OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
            this.answers = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            this.results = results;
        }

        static Child start(String name, Map<String, String> results, List<String> cmd) throws Exception {
            return new Child(name, new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start(), results);
        }

        String name() {
            return name;
        }

        Process process() {
            return process;
        }

        /** Sends one command and reads its answer up to {@link PeerRun#DONE}, or records the child's end. */
        void run(String command) throws Exception {
            if (ended || !send(command)) {
                return;
            }
            String line;
            while ((line = answers.readLine()) != null) {
                // endsWith: output a library printed to stdout without a newline may precede it on the line.
                if (line.endsWith(PeerRun.DONE)) {
                    return;
                }
                take(line);
            }
            ended("during '" + command + "'");
        }

        void finish() throws Exception {
            if (!ended && send("exit")) {
                String line;
                while ((line = answers.readLine()) != null) {
                    take(line);
                }
            }
            int code = process.waitFor();
            if (code != 0) {
                results.putIfAbsent("error", "the child JVM exited with " + code);
            }
        }

        private boolean send(String command) throws InterruptedException {
            try {
                commands.write(command + "\n");
                commands.flush();
                return true;
            } catch (java.io.IOException e) {
                ended("before '" + command + "' (" + e.getMessage() + ")");
                return false;
            }
        }

        private void ended(String when) throws InterruptedException {
            ended = true;
            boolean exited = process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
            results.putIfAbsent("error", "the child JVM ended " + when
                    + (exited ? " with exit code " + process.exitValue() : ""));
        }

        private void take(String line) {
            String[] parts = line.split("\t", 3);
            if (parts.length == 3 && parts[0].equals("RESULT")) {
                results.put(parts[1], parts[2]);
            } else {
                System.err.println(line);
            }
        }
    }

    /** " (ERROR: ...)" naming every workload that failed (a failed warm-up round too), or "". */
    static String errors(Map<String, String> r) {
        List<String> failed = new ArrayList<>();
        r.forEach((k, v) -> {
            if (k.equals("error")) {
                failed.add(v);
            } else if (k.endsWith(".error")) {
                failed.add(k.substring(0, k.length() - 6) + ": " + v);
            }
        });
        return failed.isEmpty() ? "" : " (ERROR: " + String.join("; ", failed) + ")";
    }

    /**
     * Drover against the best peer and raw SQL round by round: with interleaved runs, round i of
     * every contender ran within the same few minutes, so each round's ratio compares like with like.
     */
    static String rounds(Map<String, Map<String, String>> results, int runs, boolean interleaved) {
        Map<String, String> dr = results.get("drover");
        if (dr == null || !dr.containsKey("e2e.1.rate")) {
            return "";
        }
        StringBuilder b = new StringBuilder();
        b.append(interleaved
                ? "End-to-end rounds, interleaved (round i of every contender, in the order of the table, then round i + 1):\n\n"
                : "End-to-end rounds (each contender's runs in one stretch):\n\n");
        b.append("| round | drover jobs/s | best peer jobs/s | raw SQL jobs/s | drover/best peer | drover/raw SQL |\n");
        b.append("|---|---|---|---|---|---|\n");
        for (int i = 1; i <= runs; i++) {
            String key = "e2e." + i + ".rate";
            double d = d(dr, key);
            String bestName = null;
            double best = Double.NaN;
            for (String peer : PEERS) {
                Map<String, String> r = results.get(peer);
                double x = r == null ? Double.NaN : d(r, key);
                if (!Double.isNaN(x) && (Double.isNaN(best) || x > best)) {
                    best = x;
                    bestName = peer;
                }
            }
            Map<String, String> rr = results.get("raw-sql");
            double raw = rr == null ? Double.NaN : d(rr, key);
            b.append(String.format("| %d | %s | %s%s | %s | %s | %s |%n", i, f0(d), f0(best),
                    bestName == null ? "" : " (" + bestName + ")", f0(raw), f2(d / best), f2(d / raw)));
        }
        return b.toString();
    }

    /** The statements that took the most time in PostgreSQL during one contender, then a reset. */
    private static void printStatements(EmbeddedDatabase pg, String contender) throws Exception {
        try (Connection c = pg.adminConnection(); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("""
                    SELECT calls, rows, round(total_exec_time::numeric, 0) AS exec_ms,
                           round(total_plan_time::numeric, 0) AS plan_ms, round(mean_exec_time::numeric, 3) AS mean_ms,
                           wal_bytes, shared_blks_hit, shared_blks_read + shared_blks_written AS io_blks,
                           left(regexp_replace(query, '\\s+', ' ', 'g'), 140) AS q
                    FROM pg_stat_statements ORDER BY total_exec_time + total_plan_time DESC LIMIT 25""")) {
                System.err.printf("peers: pg_stat_statements for %s%n", contender);
                System.err.printf("%9s %10s %9s %8s %9s %12s %11s %8s  %s%n", "calls", "rows", "exec_ms", "plan_ms",
                        "mean_ms", "wal_bytes", "blks_hit", "io_blks", "query");
                while (rs.next()) {
                    System.err.printf("%9d %10d %9d %8d %9.3f %12d %11d %8d  %s%n", rs.getLong(1), rs.getLong(2), rs.getLong(3),
                            rs.getLong(4), rs.getDouble(5), rs.getLong(6), rs.getLong(7), rs.getLong(8), rs.getString(9));
                }
            }
            s.execute("SELECT pg_stat_statements_reset()");
        }
    }

    private static void writeResults(Path root, Map<String, String> o, String date, String loadBefore, String loadAfter,
                                 String pgVersion, Map<String, String> pgSettings, Map<String, Map<String, String>> results,
                                 String table, String line1, String line2, String rounds, Map<String, Double> scale,
                                 int runs)
            throws Exception {
        StringBuilder b = new StringBuilder();
        b.append("# Latest results of ./bench/peers\n\n");
        b.append("Generated by `./bench/peers`; every run overwrites this file (unless `--no-results`), so do not edit it. "
                + "The method, the current figures and what limits them are in docs/benchmarks.md.\n\n");
        b.append("- Date: ").append(date).append("\n");
        b.append("- Command: `").append(o.get("command")).append("`\n");
        b.append("- Machine: `nproc` = ").append(Runtime.getRuntime().availableProcessors()).append(", memory ")
                .append(memTotal()).append(", JDK ").append(System.getProperty("java.vm.vendor")).append(" ")
                .append(System.getProperty("java.vm.version")).append("\n");
        b.append("- PostgreSQL: ").append(pgVersion).append(" (embedded, one server, a fresh database per workload)\n");
        b.append("- PostgreSQL settings: ");
        pgSettings.forEach((k, v) -> b.append('`').append(k).append('=').append(v).append("` "));
        b.append("\n- Load average (/proc/loadavg) before: ").append(loadBefore).append("; after: ").append(loadAfter)
                .append(". The machine is shared with other engineers' builds; the table gives the 1-minute load at the end of each measurement.\n");
        b.append("- Sizes: ").append(o.get("jobs")).append(" jobs end to end (").append(runs).append(" runs, median; ")
                .append("uncounted warm-up rounds of ").append(o.get("warmup"))
                .append(" jobs first, until the contender's JVM CPU per job falls by less than 5% from one round to the next in two rounds in a row, 3 to ")
                .append(PeerRun.WARMUP_ROUNDS_MAX).append(" rounds), batches of ").append(o.get("batch"))
                .append(" from 2 enqueue threads; worker concurrency ").append(o.get("threads")).append(" for every contender; latency ")
                .append(o.get("rate")).append(" jobs/s for ").append(o.get("seconds")).append(" s (after 2 s uncounted); shallow and deep drain: the first ")
                .append(o.get("drain")).append(" completions of a backlog of ").append(o.get("drain")).append(" and of ").append(o.get("deep"))
                .append(" jobs; held horizon: end to end with another connection holding an open transaction (xid assigned) throughout.\n");
        if (!scale.isEmpty()) {
            b.append("- Scaled down (every size times the factor, because a full-size run would take more than ~5 minutes): ")
                    .append(scale).append("\n");
        }
        b.append("\n").append(table).append("\n```\n").append(line1).append("\n").append(line2).append("\n```\n\n");
        b.append(rounds).append("\n");
        b.append("Each run's figures:\n\n| contender | figure | value |\n|---|---|---|\n");
        for (var en : results.entrySet()) {
            for (var kv : en.getValue().entrySet()) {
                if (!kv.getKey().startsWith("setting.")) {
                    b.append("| ").append(en.getKey()).append(" | ").append(kv.getKey()).append(" | ").append(kv.getValue())
                            .append(" |\n");
                }
            }
        }
        b.append("\nSettings of each contender:\n\n");
        for (var en : results.entrySet()) {
            b.append("- **").append(en.getKey()).append("**: ");
            List<String> s = new ArrayList<>();
            en.getValue().forEach((k, v) -> {
                if (k.startsWith("setting.")) {
                    s.add(k.substring(8) + ": " + v);
                }
            });
            b.append(String.join("; ", s)).append("\n");
        }
        Path file = root.resolve(RESULTS);
        Files.createDirectories(file.getParent());
        Files.writeString(file, b.toString());
        System.err.println("peers: wrote the results into " + file);
    }

    private static String memTotal() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (l.startsWith("MemTotal:")) {
                    return l.substring(9).strip();
                }
            }
        } catch (Exception e) {
            // not Linux
        }
        return "?";
    }

    private static String scaled(String v, double f) {
        return String.valueOf(Math.max(1, Math.round(Integer.parseInt(v) * f)));
    }

    private static double d(Map<String, String> r, String k) {
        try {
            return Double.parseDouble(r.get(k));
        } catch (Exception e) {
            return Double.NaN;
        }
    }

    private static double median(List<Double> xs) {
        if (xs.isEmpty()) {
            return Double.NaN;
        }
        double[] a = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
    }

    private static String f0(double x) {
        return Double.isNaN(x) ? "-" : String.format("%,.0f", x);
    }

    private static String f3(double x) {
        return Double.isNaN(x) ? "-" : String.format("%.3f", x);
    }

    private static String f2(double x) {
        return Double.isNaN(x) ? "-" : String.format("%.2f", x);
    }

    private static String pctOf(double x, double base) {
        return Double.isNaN(x) || Double.isNaN(base) ? "-" : String.format("%.0f%%", 100 * x / base);
    }

    private static void deleteTree(Path root) {
        try (var paths = Files.walk(root)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (Exception e) {
            // best effort
        }
    }

    static List<String> split(String s) {
        return Arrays.asList(s.split(","));
    }
}
