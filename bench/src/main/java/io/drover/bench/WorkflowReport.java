package io.drover.bench;

import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** The table and the markdown file of {@code ./bench/workflows} ({@link Workflows}). */
final class WorkflowReport {
    static final double FAN_TARGET = 0.80;
    static final double CHAIN_TARGET = 1.20;

    private final Workflows.Options options;
    private final ZonedDateTime startedAt;
    final double[] loadAtStart;
    double[] loadAtEnd;
    Machine machine;
    Stats commit;
    Workflows.Comparison fan;
    CpuMeter.Usage fanCpu;
    Workflows.Comparison chain;
    CpuMeter.Usage chainCpu;

    WorkflowReport(Workflows.Options options, ZonedDateTime startedAt, double[] loadAtStart) {
        this.options = options;
        this.startedAt = startedAt;
        this.loadAtStart = loadAtStart;
    }

    record Row(String comparison, String figure, String value, String target, String verdict) {}

    List<Row> rows() {
        List<Row> rows = new ArrayList<>();
        if (fan != null) {
            String name = String.format("fan-out %d", options.width);
            double[] r = fan.ratios(true);
            double med = Stats.median(r);
            rows.add(new Row(name, String.format("rate ratio: %d plain runs' time / fan-out's time (median of %d; "
                    + "min-max)", options.width, r.length), String.format("%.2f (%.2f-%.2f)", med, min(r), max(r)),
                    String.format(">= %.2f", FAN_TARGET), med >= FAN_TARGET ? "met" : "MISSED"));
            rows.add(new Row(name, String.format("fan-out: trigger -> join step completed, ms (%d workers)",
                    options.workers), medianSpread(fan.a(), Workflows.Round::ms), "", ""));
            rows.add(new Row(name, String.format("plain: trigger batch of %d -> last completed, ms", options.width),
                    medianSpread(fan.b(), Workflows.Round::ms), "", ""));
            rows.add(new Row(name, "fan-out: root's completion answered -> first branch claimed, ms",
                    medianSpread(fan.a(), x -> x.marks().get("first branch claimed") - x.marks().get("root done")),
                    "", ""));
            rows.add(new Row(name, "fan-out: last branch done -> join claimed, ms",
                    medianSpread(fan.a(), x -> x.marks().get("join claimed") - x.marks().get("last branch done")),
                    "", ""));
            rows.add(new Row(name, "fan-out: trigger -> root claimed, ms",
                    medianSpread(fan.a(), x -> x.marks().get("root claimed")), "", ""));
            rows.add(new Row(name, "plain: trigger -> first claimed, ms",
                    medianSpread(fan.b(), x -> x.marks().get("first claimed")), "", ""));
            rows.add(new Row(name, "trigger call answered, ms: fan-out / plain", pair(fan, "trigger answered"), "", ""));
            rows.add(new Row(name, String.format("fan-out: root claimed -> root done (its completion starts %d steps), "
                    + "ms", options.width), medianSpread(fan.a(), x -> x.marks().get("root done")
                    - x.marks().get("root claimed")), "", ""));
            rows.add(new Row(name, "fan-out: first branch claimed -> last branch done, ms",
                    medianSpread(fan.a(), x -> x.marks().get("last branch done")
                            - x.marks().get("first branch claimed")), "", ""));
            rows.add(new Row(name, "plain: first claimed -> last done, ms", medianSpread(fan.b(),
                    x -> x.marks().get("last done") - x.marks().get("first claimed")), "", ""));
        }
        if (chain != null) {
            String name = String.format("chain %d", options.length);
            double[] r = chain.ratios(false);
            double med = Stats.median(r);
            rows.add(new Row(name, String.format("time ratio: chain's time / %d sequential plain cycles' time "
                    + "(median of %d; min-max)", options.length, r.length), String.format("%.2f (%.2f-%.2f)", med,
                    min(r), max(r)), String.format("<= %.2f", CHAIN_TARGET), med <= CHAIN_TARGET ? "met" : "MISSED"));
            rows.add(new Row(name, "chain: trigger -> last step completed, ms (1 worker)",
                    medianSpread(chain.a(), Workflows.Round::ms), "", ""));
            rows.add(new Row(name, String.format("plain: %d x (trigger -> claim -> complete), ms", options.length),
                    medianSpread(chain.b(), Workflows.Round::ms), "", ""));
            rows.add(new Row(name, "chain: step done -> next step claimed, p50 per round, ms",
                    medianSpread(chain.a(), x -> x.marks().get("done->next claimed p50")), "", ""));
            rows.add(new Row(name, "plain: run done -> next run claimed (driver triggers it), p50 per round, ms",
                    medianSpread(chain.b(), x -> x.marks().get("done->next claimed p50")), "", ""));
            rows.add(new Row(name, "completion call p50, ms: chain / plain", pair(chain, "complete call p50"), "", ""));
        }
        return rows;
    }

    /** The medians over the rounds of one mark, workflow side / plain side. */
    private static String pair(Workflows.Comparison c, String mark) {
        return String.format("%.1f / %.1f", Stats.median(c.a().stream().mapToDouble(x -> x.marks().get(mark)).toArray()),
                Stats.median(c.b().stream().mapToDouble(x -> x.marks().get(mark)).toArray()));
    }

    /** "median (min-max)" of one figure over the rounds. */
    private static String medianSpread(List<Workflows.Round> rounds, Function<Workflows.Round, Double> f) {
        double[] v = rounds.stream().mapToDouble(f::apply).toArray();
        return String.format("%.1f (%.1f-%.1f)", Stats.median(v), min(v), max(v));
    }

    private static double min(double[] v) {
        return Arrays.stream(v).min().orElse(Double.NaN);
    }

    private static double max(double[] v) {
        return Arrays.stream(v).max().orElse(Double.NaN);
    }

    String summaryTable() {
        String[] head = {"comparison", "figure", "median (min-max)", "target", "verdict"};
        List<String[]> cells = new ArrayList<>();
        for (Row r : rows()) {
            cells.add(new String[] {r.comparison(), r.figure(), r.value(), r.target(), r.verdict()});
        }
        int[] w = new int[head.length];
        for (int i = 0; i < head.length; i++) {
            w[i] = head[i].length();
            for (String[] c : cells) {
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
        for (String[] c : cells) {
            line(sb, c, w);
        }
        sb.append(String.format("%d counted rounds after %d warm-up rounds; load average (1, 5, 15 min) at start %s, "
                + "at end %s; %s CPUs%n", options.rounds, options.warmup, CpuMeter.formatLoad(loadAtStart),
                CpuMeter.formatLoad(loadAtEnd), machine == null ? "?" : machine.nproc()));
        if (fanCpu != null) {
            sb.append("CPU during the fan-out comparison: ").append(fanCpu.describe()).append('\n');
        }
        if (chainCpu != null) {
            sb.append("CPU during the chain comparison: ").append(chainCpu.describe()).append('\n');
        }
        return sb.toString();
    }

    private static void line(StringBuilder sb, String[] cells, int[] w) {
        StringBuilder l = new StringBuilder();
        for (int i = 0; i < cells.length; i++) {
            l.append(String.format("%-" + w[i] + "s  ", cells[i]));
        }
        sb.append(l.toString().stripTrailing()).append('\n');
    }

    String markdown() {
        StringBuilder md = new StringBuilder();
        md.append("# Workflow benchmark: fan-out and chain against plain runs\n\n");
        md.append("Generated by `./bench/workflows` (`io.drover.bench.Workflows`); rewritten on every run.\n\n");
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
        md.append(String.format("- Durable commit (one-row INSERT, WAL flushed): p50 %.2f ms, p99 %.2f ms%n",
                commit.p50(), commit.p99()));
        md.append("- Load average (1, 5, 15 min): ").append(CpuMeter.formatLoad(loadAtStart)).append(" at the start, ")
                .append(CpuMeter.formatLoad(loadAtEnd)).append(" at the end. The machine is shared: the CPU lines "
                        + "below say how much other processes took.\n");
        if (fanCpu != null) {
            md.append("- CPU during the fan-out comparison: ").append(fanCpu.describe()).append('\n');
        }
        if (chainCpu != null) {
            md.append("- CPU during the chain comparison: ").append(chainCpu.describe()).append('\n');
        }
        md.append(String.format("- Rounds: %d warm-up (not counted), then %d counted, alternating which side goes "
                + "first; a round that takes more than %d s fails the run%n", options.warmup, options.rounds,
                options.roundTimeout.toSeconds()));
        md.append("\n## Summary\n\n| comparison | figure | median (min-max) | target | verdict |\n|---|---|---|---|---|\n");
        for (Row r : rows()) {
            md.append("| ").append(String.join(" | ", r.comparison(), r.figure(), r.value(), r.target(), r.verdict()))
                    .append(" |\n");
        }
        md.append("\n## How it is measured\n\n");
        md.append(String.format("One Drover node per comparison, on its own database of the embedded PostgreSQL, "
                + "driven from outside over HTTP (loopback) with the SDK's `DroverClient`. Workers are plain threads, "
                + "each with its own HTTP client as a separate worker process would have: a loop of long-polling "
                + "`POST /v1/worker/claim` (up to %d runs, `wait_ms` %d) and one `POST /v1/worker/complete` per "
                + "claimed batch. Before each round every worker has its next claim parked on the server. (Not the SDK's "
                + "`Worker`: with concurrency 4 it is one claim loop holding at most 4 runs, so 400 runs would take "
                + "about 100 claim round trips and the figure would measure the SDK's pipeline, not the server; the "
                + "issue's figures were taken with HTTP workers.) `--claim-max` changes the batch, and the ratio "
                + "with it.%n%n",
                options.claimMax, options.waitMs));
        md.append(String.format("- **Fan-out**: workflow `root -> %d parallel no-op job steps -> join` (%d runs), "
                + "drained by %d workers; timed from sending the trigger to the answer of the completion call that "
                + "holds the join step's run (the join settles the workflow run in the same transaction; the "
                + "benchmark then checks with `GET /v1/workflow-runs/{id}` that it is `completed` with every step "
                + "completed). **Plain**: %d runs of the same job in one `POST /v1/jobs/{slug}/trigger/batch`, "
                + "drained by the same workers, timed from sending the trigger to the answer of the last completion "
                + "call. Ratio = plain time / fan-out time (a rate ratio: 1.0 means the workflow drains as fast as "
                + "the same number of plain runs; the fan-out also carries the root and the join, two runs on the "
                + "critical path).%n", options.width, options.width + 2, options.workers, options.width));
        md.append(String.format("- **Chain**: workflow of %d no-op job steps, each depending on the one before, "
                + "driven by one worker; timed from sending the trigger to the completion answer of the last step. "
                + "**Plain**: %d sequential cycles with the same worker: the benchmark's driver thread triggers one "
                + "run (`POST /v1/jobs/{slug}/trigger`), the worker claims and completes it, and the driver triggers "
                + "the next once the completion was answered; timed from the first trigger to the last completion "
                + "answer. Ratio = chain time / plain time.%n", options.length, options.length));
        md.append("- The marks are taken by the workers when an answer arrives: a claim's answer (claimed), a "
                + "completion call's answer (done). So \"root's completion answered -> first branch claimed\" is the "
                + "wake-up of the branches' claims as the workers see it, and can be below 0 when another worker's "
                + "claim brings a branch before the root's worker has read its answer.\n");
        md.append("- After each comparison the database is checked: every run completed on its first attempt and "
                + "was claimed once, every workflow run completed.\n");
        if (fan != null) {
            md.append(String.format("%n## Fan-out, round by round%n%nAll times in ms from sending the trigger. "
                    + "Verification: %s.%n%n", fan.verification()));
            md.append("| round | first | fan-out | plain | ratio plain/fan-out | fan-out: trigger answered / root claimed / "
                    + "root done / first branch claimed / last branch done / join claimed | fan-out: claims with runs, "
                    + "completion call p50 | plain: trigger answered / first claimed | plain: claims with runs, "
                    + "completion call p50 |\n|---|---|---|---|---|---|---|---|---|\n");
            for (int i = 0; i < fan.a().size(); i++) {
                Workflows.Round a = fan.a().get(i);
                Workflows.Round b = fan.b().get(i);
                Map<String, Double> m = a.marks();
                Map<String, Double> p = b.marks();
                md.append(String.format("| %d | %s | %.1f | %.1f | %.2f | %.1f / %.1f / %.1f / %.1f / %.1f / %.1f "
                        + "| %.0f, %.1f | %.1f / %.1f | %.0f, %.1f |%n", i + 1, firstOf(i, "fan-out"), a.ms(), b.ms(),
                        b.ms() / a.ms(), m.get("trigger answered"), m.get("root claimed"), m.get("root done"),
                        m.get("first branch claimed"), m.get("last branch done"), m.get("join claimed"),
                        m.get("claims with runs"), m.get("complete call p50"), p.get("trigger answered"),
                        p.get("first claimed"), p.get("claims with runs"), p.get("complete call p50")));
            }
        }
        if (fan != null) {
            md.append("\nHot statements of the fan-out comparison's counted rounds, both sides together "
                    + "(pg_stat_statements, the benchmark's PostgreSQL only):\n\n");
            statements(md, fan.statements());
        }
        if (chain != null) {
            md.append(String.format("%n## Chain, round by round%n%nAll times in ms. Verification: %s.%n%n",
                    chain.verification()));
            md.append("| round | first | chain | plain | ratio chain/plain | chain: done -> next claimed p50 / max "
                    + "| plain: done -> next claimed p50 / max | completion call p50: chain / plain |\n"
                    + "|---|---|---|---|---|---|---|---|\n");
            for (int i = 0; i < chain.a().size(); i++) {
                Workflows.Round a = chain.a().get(i);
                Workflows.Round b = chain.b().get(i);
                md.append(String.format("| %d | %s | %.1f | %.1f | %.2f | %.1f / %.1f | %.1f / %.1f | %.1f / %.1f |%n",
                        i + 1, firstOf(i, "chain"), a.ms(), b.ms(), a.ms() / b.ms(),
                        a.marks().get("done->next claimed p50"), a.marks().get("done->next claimed max"),
                        b.marks().get("done->next claimed p50"), b.marks().get("done->next claimed max"),
                        a.marks().get("complete call p50"), b.marks().get("complete call p50")));
            }
        }
        if (chain != null) {
            md.append("\nHot statements of the chain comparison's counted rounds, both sides together:\n\n");
            statements(md, chain.statements());
        }
        return md.toString();
    }

    private static void statements(StringBuilder md, List<Bench.Statement> statements) {
        md.append("| calls | total ms | mean ms | rows | statement |\n|---|---|---|---|---|\n");
        for (Bench.Statement st : statements) {
            String q = Bench.oneLine(st.query(), 110);
            md.append(String.format("| %,d | %,.0f | %.3f | %,d | `%s` |%n", st.calls(), st.totalMs(), st.meanMs(),
                    st.rows(), q.replace("|", "\\|").replace("`", "'")));
        }
    }

    /** Which side ran first in counted round {@code i} (the order alternates from the first warm-up round). */
    private String firstOf(int i, String workflow) {
        return (options.warmup + i) % 2 == 1 ? workflow : "plain";
    }
}
