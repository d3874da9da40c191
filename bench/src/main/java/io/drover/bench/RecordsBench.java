package io.drover.bench;

import io.drover.client.ClaimRequest;
import io.drover.client.DroverClient;
import io.drover.client.JobSpec;
import io.drover.client.Run;
import io.drover.client.TriggerRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The records target of issue 18: "a run with 10 checkpoints and 50 tool calls adds < 5 ms of
 * server time per record". {@code --runs} runs are claimed, and each gets 10 checkpoints (a state of
 * about 1 KB) and 50 tool calls (input and output of about 300 bytes) from one SDK client, one
 * request after another. Reported per record: the round trip as the client sees it (HTTP on
 * loopback, JSON, the statement and its commit: an upper bound on the server's time) and the
 * statement's own time in PostgreSQL (pg_stat_statements). Then the claim: 200 plain runs and 200
 * runs with a checkpoint behind them (released and claimed again), claimed 10 at a time, so that
 * the cost of the claim's context read shows beside the plain claim. Writes
 * bench/results/records-latest.md.
 */
public final class RecordsBench {
    public static void main(String[] args) throws Exception {
        Path root = Path.of(".");
        String command = "./bench/records";
        int runs = 20;
        Path out = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--root" -> root = Path.of(args[++i]);
                case "--command" -> command = args[++i];
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                case "--help" -> {
                    System.out.println("./bench/records [--runs 20] [--out bench/results/records-latest.md]");
                    return;
                }
                default -> throw new IllegalArgumentException("unknown option " + args[i] + " (--help lists them)");
            }
        }
        if (out == null) {
            out = root.resolve("bench/results/records-latest.md");
        }
        try (Harness h = Harness.start(); Harness.Node node = h.node("records")) {
            DroverClient client = node.client;
            client.createJob(JobSpec.builder("bench-records").queue("records").build());
            String state = "x".repeat(1000);
            String text = "y".repeat(300);
            // warm-up: the JIT and the statements' plans
            records(client, 5, state, text, new ArrayList<>(), new ArrayList<>());
            node.resetStatements();
            List<Double> checkpointMs = new ArrayList<>();
            List<Double> toolCallMs = new ArrayList<>();
            records(client, runs, state, text, checkpointMs, toolCallMs);
            List<Bench.Statement> statements = node.topStatements(12);

            List<Double> plainClaimMs = claims(client, "bench-plain", 200, false);
            List<Double> contextClaimMs = claims(client, "bench-context", 200, true);

            Stats cp = Stats.of(checkpointMs);
            Stats tc = Stats.of(toolCallMs);
            Stats plain = Stats.of(plainClaimMs);
            Stats ctx = Stats.of(contextClaimMs);
            StringBuilder md = new StringBuilder();
            md.append("# Records benchmark (issue 18): checkpoints and tool calls\n\n");
            md.append("Command: `").append(command).append("`, ").append(runs)
                    .append(" runs x (10 checkpoints of ~1 KB + 50 tool calls of ~600 B), one SDK client, ")
                    .append("requests one after another; PostgreSQL ").append(h.postgresVersion())
                    .append(" with fsync and synchronous_commit on; ");
            Machine m = Machine.describe(h);
            md.append(m.nproc()).append(" CPUs (").append(m.cpuModel()).append("), ").append(m.jdk()).append(".\n\n");
            md.append("| record | n | p50 ms | p95 ms | p99 ms | max ms | mean ms |\n|---|---|---|---|---|---|---|\n");
            row(md, "checkpoint (client round trip)", cp);
            row(md, "tool call (client round trip)", tc);
            md.append("\nPostgreSQL's own time per statement (pg_stat_statements, the measured phase):\n\n");
            md.append("| statement | calls | mean ms |\n|---|---|---|\n");
            for (Bench.Statement s : statements) {
                String q = s.query().replaceAll("\\s+", " ");
                if (q.contains("run_checkpoints") || q.contains("run_tool_calls")) {
                    md.append("| ").append(q.length() > 80 ? q.substring(0, 80) + "..." : q).append(" | ")
                            .append(s.calls()).append(" | ").append(fmt(s.meanMs())).append(" |\n");
                }
            }
            md.append("\nClaim of 10 runs at a time (client round trip, 20 claims each):\n\n");
            md.append("| claim | n | p50 ms | p95 ms | p99 ms | max ms | mean ms |\n|---|---|---|---|---|---|---|\n");
            row(md, "plain runs", plain);
            row(md, "runs with a checkpoint (context read)", ctx);
            Files.createDirectories(out.getParent());
            Files.writeString(out, md.toString());
            System.out.println(md);
        }
    }

    /** Claims {@code n} runs, then 10 checkpoints and 50 tool calls each, timed; completes them. */
    private static void records(DroverClient client, int n, String state, String text, List<Double> checkpointMs,
            List<Double> toolCallMs) {
        List<TriggerRequest> batch = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            batch.add(TriggerRequest.of(Map.of("i", i)));
        }
        client.triggerBatchIds("bench-records", batch);
        List<Run> claimed = new ArrayList<>();
        while (claimed.size() < n) {
            claimed.addAll(client.claim(new ClaimRequest("bench", List.of("records"), n - claimed.size(), 1_000,
                    600_000)));
        }
        for (Run run : claimed) {
            for (int k = 0; k < 10; k++) {
                long t = System.nanoTime();
                client.checkpoint(run.id(), "bench", Map.of("step", k, "notes", state));
                checkpointMs.add((System.nanoTime() - t) / 1e6);
                for (int j = 0; j < 5; j++) {
                    t = System.nanoTime();
                    client.recordToolCall(run.id(), "bench", "search", Map.of("q", text), Map.of("hits", text), null,
                            12L);
                    toolCallMs.add((System.nanoTime() - t) / 1e6);
                }
            }
            client.complete(run.id(), "bench", Map.of("ok", true));
        }
    }

    /** Claim round trips of {@code n} runs of a new job, 10 at a time; with a checkpoint behind each if asked. */
    private static List<Double> claims(DroverClient client, String slug, int n, boolean withCheckpoint) {
        client.createJob(JobSpec.builder(slug).queue(slug).build());
        List<TriggerRequest> batch = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            batch.add(TriggerRequest.of(Map.of("i", i)));
        }
        client.triggerBatchIds(slug, batch);
        if (withCheckpoint) {
            List<Run> all = new ArrayList<>();
            while (all.size() < n) {
                all.addAll(client.claim(new ClaimRequest("prep", List.of(slug), n - all.size(), 1_000, 600_000)));
            }
            for (Run r : all) {
                client.checkpoint(r.id(), "prep", Map.of("step", 1));
                client.release(r.id(), "prep");
            }
        }
        List<Double> ms = new ArrayList<>();
        int got = 0;
        while (got < n) {
            long t = System.nanoTime();
            List<Run> claimed = client.claim(new ClaimRequest("bench", List.of(slug), 10, 0, 600_000));
            ms.add((System.nanoTime() - t) / 1e6);
            if (withCheckpoint && !claimed.isEmpty() && claimed.get(0).checkpoint() == null) {
                throw new IllegalStateException("a claim of a checkpointed run carries no checkpoint");
            }
            got += claimed.size();
        }
        return ms;
    }

    private static void row(StringBuilder md, String label, Stats s) {
        md.append("| ").append(label).append(" | ").append(s.n()).append(" | ").append(fmt(s.p50())).append(" | ")
                .append(fmt(s.p95())).append(" | ").append(fmt(s.p99())).append(" | ").append(fmt(s.max()))
                .append(" | ").append(fmt(s.mean())).append(" |\n");
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }
}
