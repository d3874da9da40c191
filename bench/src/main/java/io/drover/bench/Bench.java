package io.drover.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.ToDoubleFunction;

/**
 * The benchmark program behind {@code ./bench/run}: (b) end-to-end throughput of no-op runs,
 * (c) enqueue-to-start latency on an idle system, (d) claim cost at a small and a huge backlog.
 * Prints a summary table and, after a full run, writes its figures to {@value Report#RESULTS}.
 */
public final class Bench {

    /** One line of pg_stat_statements. */
    record Statement(String query, long calls, double totalMs, double meanMs, long rows) {}

    public static void main(String[] args) throws Exception {
        Locale.setDefault(Locale.ROOT);
        Options o = Options.parse(args);
        if (o.help) {
            System.out.println(Options.HELP);
            return;
        }
        ZonedDateTime startedAt = ZonedDateTime.now(ZoneOffset.UTC);
        double[] loadAtStart = CpuMeter.loadAverage();
        System.err.println("bench: load average before start (1, 5, 15 min): " + CpuMeter.formatLoad(loadAtStart));
        Report report = new Report(o, startedAt, loadAtStart);
        try (Harness h = Harness.start()) {
            report.machine = Machine.describe(h);
            report.commit = h.commitLatency();
            System.err.printf("bench: durable commit of a one-row INSERT: p50 %.2f ms, p99 %.2f ms%n",
                    report.commit.p50(), report.commit.p99());
            CpuMeter meter = new CpuMeter(h.pgDataDir());
            if (o.only.contains("b")) {
                Throughput.Params p = new Throughput.Params(o.runs, o.batch, o.triggerThreads, o.workers, o.concurrency,
                        o.completionBatch, Duration.ofMillis(o.lingerMs));
                report.throughputParams = p;
                if (o.warmupRuns > 0) {
                    // The JIT compiles the server's and the SDK's hot paths in the first seconds; a long-running
                    // server has done that long ago, so one smaller run on its own database goes first, uncounted.
                    Throughput.Params w = new Throughput.Params(o.warmupRuns, p.batch(), p.triggerThreads(), p.workers(),
                            p.concurrency(), p.completionBatch(), p.linger());
                    System.err.printf("bench: (b) warm-up, not counted: %,d runs%n", o.warmupRuns);
                    Throughput.Result r = Throughput.run(h, w, meter);
                    System.err.printf("bench:     %.2f s, %,.0f runs/s; %s%n", r.seconds(), r.runsPerSec(),
                            r.verification(o.warmupRuns));
                }
                for (int i = 1; i <= o.repeats; i++) {
                    System.err.printf("bench: (b) throughput, run %d of %d: %s%n", i, o.repeats, p.describe());
                    Throughput.Result r = Throughput.run(h, p, meter);
                    System.err.printf("bench:     %.2f s, %,.0f runs/s (triggering took %.2f s); %s; %s; "
                                    + "CPU %.3f ms per run%n", r.seconds(), r.runsPerSec(), r.triggerSeconds(),
                            r.verification(o.runs), r.cpu().describe(), r.cpuMsPerRun());
                    System.err.println("bench:       active backends by wait event (average): "
                            + WaitSampler.describe(r.waits()));
                    for (Statement st : r.statements()) {
                        System.err.printf("bench:       %6d calls %9.0f ms total %8.2f ms mean  %s%n", st.calls(),
                                st.totalMs(), st.meanMs(), oneLine(st.query(), 90));
                    }
                    report.throughput.add(r);
                }
            }
            if (o.only.contains("c")) {
                Latency.Params p = new Latency.Params(o.rate, o.seconds, o.warmupSeconds, 8, Duration.ofSeconds(10));
                report.latencyParams = p;
                for (int i = 1; i <= o.repeats; i++) {
                    System.err.printf("bench: (c) latency, run %d of %d: %s%n", i, o.repeats, p.describe());
                    Latency.Result r = Latency.run(h, p, meter);
                    System.err.printf("bench:     trigger->handler p50 %.2f p95 %.2f p99 %.2f max %.2f ms; "
                                    + "started_at-created_at p50 %.2f p99 %.2f ms; trigger call p50 %.2f ms; "
                                    + "1 ms sleep wakes late p50 %.2f p99 %.2f max %.2f ms; "
                                    + "durable commit p50 %.2f p99 %.2f max %.2f ms; %s%n",
                            r.endToEnd().p50(), r.endToEnd().p95(), r.endToEnd().p99(), r.endToEnd().max(),
                            r.server().p50(), r.server().p99(), r.triggerCall().p50(), r.wakeDelay().p50(),
                            r.wakeDelay().p99(), r.wakeDelay().max(), r.commit().p50(), r.commit().p99(),
                            r.commit().max(), r.cpu().describe());
                    report.latency.add(r);
                }
            }
            if (o.only.contains("d")) {
                ClaimCost.Params p = new ClaimCost.Params(o.small, o.large, o.claims, 100, 20);
                report.claimParams = p;
                System.err.println("bench: (d) claim cost: " + p.describe());
                CpuMeter.Sample a = meter.sample();
                report.claim = ClaimCost.run(h, p);
                report.claimCpu = CpuMeter.between(a, meter.sample());
                System.err.printf("bench:     %,d queued: median %.2f ms per claim; %,d queued: median %.2f ms%n",
                        report.claim.small().queued(), report.claim.small().ms().p50(), report.claim.large().queued(),
                        report.claim.large().ms().p50());
            }
        }
        report.loadAtEnd = CpuMeter.loadAverage();
        String table = report.summaryTable();
        System.out.println();
        System.out.println(table);
        boolean write = o.results != null ? o.results : o.only.containsAll(Set.of("b", "c", "d")) && o.isDefaultSize();
        if (write) {
            Path file = o.root.resolve(Report.RESULTS);
            Report.writeResults(file, report.markdown());
            System.err.println("bench: wrote the results into " + file);
        } else {
            System.err.println("bench: " + Report.RESULTS + " left as it was (a partial or resized run; --results writes it)");
        }
    }

    /** Command-line options; every default is the documented benchmark. */
    static final class Options {
        static final String HELP = """
                ./bench/run [options]
                  --only b,c,d            which benchmarks: b throughput, c latency, d claim cost (default all)
                  --repeats N             runs of b and c, of which the median is reported (default 3)
                  --runs N                runs in b (default 100000)
                  --warmup-runs N         runs of an uncounted first run of b, for the JIT (default 20000)
                  --batch N               trigger batch size in b (default 1000)
                  --trigger-threads N     client threads sending trigger batches in b (default 2)
                  --workers N             SDK workers in b (default 2)
                  --concurrency N         concurrency of each worker in b (default 1000)
                  --completion-batch N    most outcomes per completion call in b (default 500)
                  --linger-ms N           completion linger in b (default 5)
                  --rate N --seconds N    single triggers per second and for how long in c (default 50, 20)
                  --small N --large N     backlog sizes in d (default 1000, 1000000)
                  --claims N              timed claims per size in d (default 200)
                  --[no-]results          write bench/results/run-latest.md or not (default: only after a
                                          full default run; --doc and --no-doc are the old names)
                """;
        Path root = Path.of(".");
        String command = "./bench/run";
        Set<String> only = new LinkedHashSet<>(List.of("b", "c", "d"));
        int repeats = 3;
        int runs = 100_000;
        int warmupRuns = 20_000;
        int batch = 1_000;
        int triggerThreads = 2;
        int workers = 2;
        int concurrency = 1_000;
        int completionBatch = 500;
        int lingerMs = 5;
        int rate = 50;
        int seconds = 20;
        int warmupSeconds = 2;
        int small = 1_000;
        int large = 1_000_000;
        int claims = 200;
        Boolean results;
        boolean help;

        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--help", "-h" -> o.help = true;
                    case "--results", "--doc" -> o.results = true;
                    case "--no-results", "--no-doc" -> o.results = false;
                    case "--root" -> o.root = Path.of(args[++i]);
                    case "--command" -> o.command = args[++i];
                    case "--only" -> o.only = new LinkedHashSet<>(Arrays.asList(args[++i].split(",")));
                    case "--repeats" -> o.repeats = Integer.parseInt(args[++i]);
                    case "--runs" -> o.runs = Integer.parseInt(args[++i]);
                    case "--warmup-runs" -> o.warmupRuns = Integer.parseInt(args[++i]);
                    case "--batch" -> o.batch = Integer.parseInt(args[++i]);
                    case "--trigger-threads" -> o.triggerThreads = Integer.parseInt(args[++i]);
                    case "--workers" -> o.workers = Integer.parseInt(args[++i]);
                    case "--concurrency" -> o.concurrency = Integer.parseInt(args[++i]);
                    case "--completion-batch" -> o.completionBatch = Integer.parseInt(args[++i]);
                    case "--linger-ms" -> o.lingerMs = Integer.parseInt(args[++i]);
                    case "--rate" -> o.rate = Integer.parseInt(args[++i]);
                    case "--seconds" -> o.seconds = Integer.parseInt(args[++i]);
                    case "--small" -> o.small = Integer.parseInt(args[++i]);
                    case "--large" -> o.large = Integer.parseInt(args[++i]);
                    case "--claims" -> o.claims = Integer.parseInt(args[++i]);
                    default -> throw new IllegalArgumentException("unknown option " + a + "\n" + HELP);
                }
            }
            return o;
        }

        /** The figures in the results file are always for the documented sizes. */
        boolean isDefaultSize() {
            return runs == 100_000 && batch == 1_000 && large == 1_000_000 && small == 1_000 && repeats >= 3;
        }
    }

    /** Medians over repeated runs. */
    static <T> double median(List<T> results, ToDoubleFunction<T> f) {
        return Stats.median(results.stream().mapToDouble(f).toArray());
    }

    /** A statement on one line without its comments, cut at {@code max} characters. */
    static String oneLine(String sql, int max) {
        String q = sql.replaceAll("--[^\n]*", " ").replaceAll("\\s+", " ").strip();
        return q.length() > max ? q.substring(0, max - 3) + "..." : q;
    }

    static String date(ZonedDateTime t) {
        return t.format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'"));
    }

    static List<String> lines(String s) {
        return new ArrayList<>(Arrays.asList(s.split("\n")));
    }
}
