package io.drover.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * The summary table printed at the end, and the generated results file, {@link #RESULTS} (the curated
 * figures are in docs/benchmarks.md, written by hand; this program never touches a doc).
 */
final class Report {
    /** Where a full run writes its figures, relative to the repository root; each full run overwrites it. */
    static final String RESULTS = "bench/results/run-latest.md";

    final Bench.Options options;
    final ZonedDateTime startedAt;
    final double[] loadAtStart;
    double[] loadAtEnd;
    Machine machine;
    Stats commit;
    Throughput.Params throughputParams;
    final List<Throughput.Result> throughput = new ArrayList<>();
    Latency.Params latencyParams;
    final List<Latency.Result> latency = new ArrayList<>();
    ClaimCost.Params claimParams;
    ClaimCost.Result claim;
    CpuMeter.Usage claimCpu;

    Report(Bench.Options options, ZonedDateTime startedAt, double[] loadAtStart) {
        this.options = options;
        this.startedAt = startedAt;
        this.loadAtStart = loadAtStart;
    }

    private record Row(String benchmark, String figure, String value, String target, String verdict, String load) {}

    private List<Row> rows() {
        List<Row> rows = new ArrayList<>();
        if (!throughput.isEmpty()) {
            double med = Bench.median(throughput, Throughput.Result::runsPerSec);
            boolean ok = throughput.stream().allMatch(r -> r.verified(throughputParams.runs()));
            rows.add(new Row("(b) throughput", String.format("runs/s, %,d no-op runs", throughputParams.runs()),
                    String.format("%,.0f", med) + perRun(throughput, r -> r.runsPerSec(), "%,.0f"), ">= 5,000",
                    med >= 5000 ? "met" : "MISSED", loads(throughput.stream().map(Throughput.Result::cpu).toList())));
            rows.add(new Row("(b) throughput", "first trigger -> last completion, s",
                    String.format("%.2f", Bench.median(throughput, Throughput.Result::seconds))
                            + perRun(throughput, Throughput.Result::seconds, "%.2f"), "", "", ""));
            rows.add(new Row("(b) throughput", "CPU per run (Drover JVM + PostgreSQL), ms -> runs/s if all cores were ours",
                    String.format("%.3f -> %,.0f", Bench.median(throughput, Throughput.Result::cpuMsPerRun),
                            Bench.median(throughput, Throughput.Result::ceiling)), "", "", ""));
            rows.add(new Row("(b) throughput", "exactly once (DB check)", ok ? "all runs OK" : "FAILED", "all",
                    ok ? "met" : "MISSED", ""));
        }
        if (!latency.isEmpty()) {
            String loads = loads(latency.stream().map(Latency.Result::cpu).toList());
            double p50 = Bench.median(latency, r -> r.endToEnd().p50());
            double p99 = Bench.median(latency, r -> r.endToEnd().p99());
            rows.add(new Row("(c) latency", "trigger sent -> handler start p50, ms", ms(p50)
                    + perRun(latency, r -> r.endToEnd().p50(), "%.2f"), "<= 10", p50 <= 10 ? "met" : "MISSED", loads));
            rows.add(new Row("(c) latency", "trigger sent -> handler start p95, ms",
                    ms(Bench.median(latency, r -> r.endToEnd().p95())), "", "", ""));
            rows.add(new Row("(c) latency", "trigger sent -> handler start p99, ms", ms(p99)
                    + perRun(latency, r -> r.endToEnd().p99(), "%.2f"), "<= 50", p99 <= 50 ? "met" : "MISSED", ""));
            rows.add(new Row("(c) latency", "trigger sent -> handler start max, ms",
                    ms(Bench.median(latency, r -> r.endToEnd().max())), "", "", ""));
            rows.add(new Row("(c) latency", "started_at - created_at p50/p95/p99/max, ms", String.format(
                    "%.2f / %.2f / %.2f / %.2f", Bench.median(latency, r -> r.server().p50()),
                    Bench.median(latency, r -> r.server().p95()), Bench.median(latency, r -> r.server().p99()),
                    Bench.median(latency, r -> r.server().max())), "", "", ""));
        }
        if (claim != null) {
            String loads = loads(List.of(claimCpu));
            rows.add(new Row("(d) claim cost", String.format("ms per claim of %d, %,d queued (median / p95)",
                    claimParams.batch(), claim.small().queued()), String.format("%.2f / %.2f", claim.small().ms().p50(),
                    claim.small().ms().p95()), "flat", "", loads));
            double ratio = claim.large().ms().p50() / claim.small().ms().p50();
            rows.add(new Row("(d) claim cost", String.format("ms per claim of %d, %,d queued (median / p95)",
                    claimParams.batch(), claim.large().queued()), String.format("%.2f / %.2f", claim.large().ms().p50(),
                    claim.large().ms().p95()), "flat", ratio < 1.5 ? String.format("met (x%.2f)", ratio)
                    : String.format("MISSED (x%.2f)", ratio), ""));
            boolean seq = claim.plan().contains("Seq Scan");
            rows.add(new Row("(d) claim cost", "claim plan at 1M", seq ? "has a Seq Scan" : "index scan, no Seq Scan",
                    "no seq scan", seq ? "MISSED" : "met", ""));
        }
        return rows;
    }

    private static <T> String perRun(List<T> results, ToDoubleFunction<T> f, String fmt) {
        if (results.size() < 2) {
            return "";
        }
        List<String> each = results.stream().map(r -> String.format(fmt, f.applyAsDouble(r))).toList();
        return " (runs: " + String.join(", ", each) + ")";
    }

    private static String ms(double v) {
        return String.format("%.2f", v);
    }

    /** Load averages at the end of each run, and how much CPU other processes took meanwhile. */
    private static String loads(List<CpuMeter.Usage> usages) {
        List<String> parts = new ArrayList<>();
        for (CpuMeter.Usage u : usages) {
            parts.add(String.format("%.2f (others %.2f cores)", u.loadAfter()[0], u.others() + u.steal()));
        }
        return String.join("; ", parts);
    }

    String summaryTable() {
        List<Row> rows = rows();
        String[] head = {"benchmark", "figure", "result (median of runs)", "target", "verdict", "load avg 1 min at end"};
        int[] w = new int[head.length];
        for (int i = 0; i < head.length; i++) {
            w[i] = head[i].length();
        }
        for (Row r : rows) {
            String[] c = cells(r);
            for (int i = 0; i < c.length; i++) {
                w[i] = Math.max(w[i], c[i].length());
            }
        }
        StringBuilder sb = new StringBuilder();
        line(sb, head, w);
        StringBuilder rule = new StringBuilder();
        for (int x : w) {
            rule.append("-".repeat(x)).append("  ");
        }
        sb.append(rule.toString().stripTrailing()).append('\n');
        for (Row r : rows) {
            line(sb, cells(r), w);
        }
        sb.append(String.format("load average (1, 5, 15 min) at start %s, at end %s; %s%n",
                CpuMeter.formatLoad(loadAtStart), CpuMeter.formatLoad(loadAtEnd), machine == null ? ""
                        : machine.nproc() + " CPUs, " + machine.memory()));
        return sb.toString();
    }

    private static String[] cells(Row r) {
        return new String[] {r.benchmark(), r.figure(), r.value(), r.target(), r.verdict(), r.load()};
    }

    private static void line(StringBuilder sb, String[] cells, int[] w) {
        StringBuilder l = new StringBuilder();
        for (int i = 0; i < cells.length; i++) {
            l.append(String.format("%-" + w[i] + "s  ", cells[i]));
        }
        sb.append(l.toString().stripTrailing()).append('\n');
    }

    // ------------------------------------------------------------------------------ markdown

    String markdown() {
        StringBuilder md = new StringBuilder();
        md.append("# Latest results of ./bench/run\n\n");
        md.append("Generated by `./bench/run`; every full run overwrites this file, so do not edit it. "
                + "The method, the current figures and what limits them are in docs/benchmarks.md.\n\n");
        md.append("- Date: ").append(Bench.date(startedAt)).append('\n');
        md.append("- Command: `").append(options.command).append("`\n");
        md.append("- Machine: `nproc` = ").append(machine.nproc()).append(" (").append(machine.cpuModel())
                .append("), memory ").append(machine.memory()).append(", ").append(machine.kernel()).append('\n');
        md.append("- JDK: ").append(machine.jdk()).append('\n');
        md.append("- PostgreSQL: ").append(machine.postgres()).append(" (embedded, fresh data folder in a temp dir)\n");
        md.append("- PostgreSQL settings: ");
        List<String> s = new ArrayList<>();
        machine.pgSettings().forEach((k, v) -> s.add("`" + k + "=" + v + "`"));
        md.append(String.join(", ", s)).append('\n');
        md.append(String.format("- Durable commit (one-row INSERT, WAL flushed), the floor under every trigger, "
                + "claim and completion: p50 %.2f ms, p99 %.2f ms%n", commit.p50(), commit.p99()));
        md.append("- Load average (1, 5, 15 min, as `uptime` shows): ").append(CpuMeter.formatLoad(loadAtStart))
                .append(" before the benchmark started, ").append(CpuMeter.formatLoad(loadAtEnd)).append(" at the end. ")
                .append("The machine is shared; the CPU figures below say how much of it other processes took during "
                        + "each measurement.\n\n");
        md.append("### Summary\n\n");
        md.append("| benchmark | figure | result (median of runs) | target | verdict | load avg 1 min at end (other processes' CPU) |\n");
        md.append("|---|---|---|---|---|---|\n");
        for (Row r : rows()) {
            md.append("| ").append(String.join(" | ", cells(r))).append(" |\n");
        }
        if (!throughput.isEmpty()) {
            md.append("\n### (b) Throughput\n\n").append(throughputParams.describe()).append(".\n\n");
            md.append("| run | seconds | runs/s | triggering done at, s | DB span (max finished_at - min created_at), s | "
                    + "verification | CPU during the run (cores) | CPU ms per run (JVM + PG) |\n|---|---|---|---|---|---|---|---|\n");
            int i = 1;
            for (Throughput.Result r : throughput) {
                md.append(String.format("| %d | %.2f | %,.0f | %.2f | %.2f | %s | %s | %.3f |%n", i++, r.seconds(),
                        r.runsPerSec(), r.triggerSeconds(), r.dbSpanSeconds(), r.verification(throughputParams.runs()),
                        r.cpu().describe(), r.cpuMsPerRun()));
            }
            md.append("\nWhat the database's active backends were doing (pg_stat_activity sampled every 20 ms, "
                    + "average number of backends in each state): ");
            md.append(WaitSampler.describe(throughput.get(throughput.size() - 1).waits())).append(".\n");
            md.append("\nHot statements of the last run (pg_stat_statements, enabled in the benchmark's PostgreSQL only):\n\n");
            statements(md, throughput.get(throughput.size() - 1).statements());
        }
        if (!latency.isEmpty()) {
            md.append("\n### (c) Enqueue -> start latency, idle system\n\n").append(latencyParams.describe()).append(".\n");
            md.append("Client: handler start minus trigger request send (same JVM, monotonic clock). "
                    + "Server: `started_at - created_at`. Trigger call: the HTTP round trip of the trigger itself.\n\n");
            md.append("During the same 20 s, two probes measure the machine itself: how late a thread of the benchmark "
                    + "JVM wakes from a 1 ms sleep (scheduling delay), and a durable one-row commit every 50 ms in "
                    + "another database (WAL flush latency). A trigger and a claim each pay one durable commit.\n\n");
            md.append("| run | trigger -> handler p50 / p95 / p99 / max, ms | started_at - created_at p50 / p95 / p99 / max, ms "
                    + "| trigger call p50 / p99, ms | late sends | scheduling delay p50 / p99 / max, ms "
                    + "| durable commit p50 / p99 / max, ms | CPU during the run (cores) |\n|---|---|---|---|---|---|---|---|\n");
            int i = 1;
            for (Latency.Result r : latency) {
                md.append(String.format("| %d | %s | %s | %.2f / %.2f | %d | %.2f / %.2f / %.2f | %.2f / %.2f / %.2f | %s |%n",
                        i++, four(r.endToEnd()), four(r.server()), r.triggerCall().p50(), r.triggerCall().p99(),
                        r.lateSends(), r.wakeDelay().p50(), r.wakeDelay().p99(), r.wakeDelay().max(),
                        r.commit().p50(), r.commit().p99(), r.commit().max(), r.cpu().describe()));
            }
        }
        if (claim != null) {
            md.append("\n### (d) Claim cost against the backlog\n\n").append(claimParams.describe()).append(".\n\n");
            md.append("| queued runs | claims | ms per claim p50 / p95 / p99 / max | claims/s (sequential) |\n|---|---|---|---|\n");
            for (ClaimCost.Point p : List.of(claim.small(), claim.large())) {
                md.append(String.format("| %,d | %d | %s | %.0f |%n", p.queued(), p.ms().n(), four(p.ms()),
                        p.claimsPerSec()));
            }
            md.append(String.format("%nSetup: queuing the large backlog took %.1f s. CPU during (d): %s.%n",
                    claim.insertSeconds(), claimCpu.describe()));
            md.append("\n`EXPLAIN (ANALYZE, BUFFERS)` of the claim statement (as `RunStore.claim` sends it, batch ")
                    .append(claimParams.batch()).append(String.format(", %,d queued; rolled back):%n%n```%n",
                            claim.large().queued()))
                    .append(claim.plan()).append("\n```\n");
            md.append("\nIts generic plan (`EXPLAIN (GENERIC_PLAN)`), the one a prepared statement may switch to:\n\n```\n")
                    .append(claim.genericPlan()).append("\n```\n");
            md.append("\nHot statements during (d):\n\n");
            statements(md, claim.statements());
        }
        return md.toString();
    }

    private static String four(Stats s) {
        return String.format("%.2f / %.2f / %.2f / %.2f", s.p50(), s.p95(), s.p99(), s.max());
    }

    private static void statements(StringBuilder md, List<Bench.Statement> statements) {
        md.append("| calls | total ms | mean ms | rows | statement |\n|---|---|---|---|---|\n");
        for (Bench.Statement st : statements) {
            String q = Bench.oneLine(st.query(), 110);
            md.append(String.format("| %,d | %,.0f | %.3f | %,d | `%s` |%n", st.calls(), st.totalMs(), st.meanMs(),
                    st.rows(), q.replace("|", "\\|").replace("`", "'")));
        }
    }

    /** Writes the results file, replacing the previous run's. */
    static void writeResults(Path file, String markdown) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, markdown);
    }
}
