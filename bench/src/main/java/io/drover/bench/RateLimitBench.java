package io.drover.bench;

import io.drover.client.DroverClient;
import io.drover.client.TriggerRequest;
import io.drover.client.Worker;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The named rate limit target of issue 18: 10 keys x 100 starts/s each. A feeder triggers 100
 * runs per second for each of 10 jobs (1,000 runs/s), SDK workers drain the queue; first with
 * jobs without rate limit keys, then with 10 jobs each naming its own key (limit 100 per 1000 ms).
 * Reported per phase: runs started per second, the claim statement's mean time
 * (pg_stat_statements), and for the limited phase the most starts any key had in one window.
 *
 * <pre>
 * JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 mvn -B -q -o -Dmaven.test.skip=true -pl bench -am package
 * $JAVA_HOME/bin/java -Xmx1g -Dlogback.configurationFile=logback-bench.xml \
 *   -cp "bench/target/drover-bench.jar:bench/target/lib/*" io.drover.bench.RateLimitBench [--secs 20]
 * </pre>
 */
public final class RateLimitBench {
    static final int KEYS = 10;
    static final int PER_SEC = 100;

    public static void main(String[] args) throws Exception {
        int secs = 20;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--secs" -> secs = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i] + " (--secs N)");
            }
        }
        try (Harness h = Harness.start(); Harness.Node node = h.node("ratelimit")) {
            for (int k = 0; k < KEYS; k++) {
                node.client.send("POST", "/v1/rate-limits", Map.of("key", "key-" + k, "limit", PER_SEC,
                        "period_ms", 1000));
                node.client.send("POST", "/v1/jobs", Map.of("slug", "plain-" + k, "queue", "plain"));
                node.client.send("POST", "/v1/jobs", Map.of("slug", "rated-" + k, "queue", "rated",
                        "rate_limit_keys", List.of("key-" + k)));
            }
            Phase plain = phase(node, "plain", secs);
            Phase rated = phase(node, "rated", secs);
            int worst = 0;
            try (Connection c = node.connection(); Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("""
                            SELECT max(n) FROM (SELECT job_slug, floor(extract(epoch FROM started_at)), count(*) AS n
                                                FROM runs WHERE queue = 'rated' AND started_at IS NOT NULL
                                                GROUP BY 1, 2) w""")) {
                rs.next();
                worst = rs.getInt(1);
            }
            System.out.printf("%n| phase | started/s | claim statement mean ms | claim calls |%n|---|---|---|---|%n");
            for (Phase p : List.of(plain, rated)) {
                System.out.printf("| %s | %.0f | %.3f | %,d |%n", p.name, p.startsPerSec, p.claimMeanMs, p.claimCalls);
            }
            System.out.printf("%nrated/plain starts: %.3f; most starts of one key in one 1000 ms window: %d "
                    + "(limit %d)%n", rated.startsPerSec / plain.startsPerSec, worst, PER_SEC);
        }
    }

    record Phase(String name, double startsPerSec, double claimMeanMs, long claimCalls) {}

    static Phase phase(Harness.Node node, String kind, int secs) throws Exception {
        AtomicLong handled = new AtomicLong();
        DroverClient wc = DroverClient.builder().baseUrl(node.client.baseUrl()).apiKey(Harness.ADMIN_KEY).build();
        var wb = Worker.builder().client(wc).queue(kind).workerId(kind + "-w").concurrency(100)
                .claimWait(Duration.ofSeconds(1));
        for (int k = 0; k < KEYS; k++) {
            wb.handler(kind + "-" + k, (ctx, payload) -> {
                handled.incrementAndGet();
                return null;
            });
        }
        Worker worker = wb.build();
        AtomicBoolean feeding = new AtomicBoolean(true);
        Thread feeder = Thread.ofPlatform().name("feeder-" + kind).start(() -> {
            List<TriggerRequest> tenth = new ArrayList<>();
            for (int i = 0; i < PER_SEC / 10; i++) {
                tenth.add(TriggerRequest.of(Map.of("n", i)));
            }
            long next = System.nanoTime();
            while (feeding.get()) {
                for (int k = 0; k < KEYS; k++) {
                    node.client.triggerBatchIds(kind + "-" + k, tenth);
                }
                next += 100_000_000L;
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    try {
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        });
        worker.start();
        Thread.sleep(3_000); // warm up
        node.resetStatements();
        long h0 = handled.get();
        long t0 = System.nanoTime();
        Thread.sleep(secs * 1000L);
        double rate = (handled.get() - h0) / ((System.nanoTime() - t0) / 1e9);
        double claimMs = 0;
        long calls = 0;
        for (var st : node.topStatements(20)) {
            if (st.query().contains("WITH picked AS MATERIALIZED") && st.query().contains("executing")) {
                claimMs = st.meanMs();
                calls = st.calls();
            }
        }
        feeding.set(false);
        feeder.join(10_000);
        worker.stop(Duration.ofSeconds(10));
        wc.close();
        System.out.printf("%s: %.0f started/s, claim %.3f ms mean over %,d calls%n", kind, rate, claimMs, calls);
        return new Phase(kind, rate, claimMs, calls);
    }
}
