package io.drover.ui;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.testing.Api;
import io.drover.testing.TestServer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A measurement, not part of the suite (the name does not end in Test): the runs page's server time
 * on a project of {@code runsPage.runs} finished runs (default 1,000,000, UUIDv7 ids over the last 30
 * days, filled with INSERT ... SELECT generate_series) plus 2,000 queued runs of another job, and the
 * plan of the list statement behind it. Run with
 * {@code mvn -B -q -pl server -am test -o -Dtest=RunsPageCheck -Dsurefire.failIfNoSpecifiedTests=false}
 * and read the table it prints (p50/p95 over 30 requests each, client-side on loopback, so server
 * time plus a little).
 */
class RunsPageCheck {
    private static final int RUNS = Integer.getInteger("runsPage.runs", 1_000_000);

    @Test
    void runsPageOnABigProject() throws Exception {
        try (TestServer server = TestServer.start(Map.of("DROVER_PUSH_ENABLED", "false"))) {
            Api admin = new Api(server);
            assertThat(admin.post("/v1/jobs", Map.of("slug", "big", "queue", "big")).status()).isEqualTo(201);
            assertThat(admin.post("/v1/jobs", Map.of("slug", "small", "queue", "small")).status()).isEqualTo(201);
            String seed = admin.post("/v1/jobs/big/trigger", Map.of()).json().get("id").asText();
            for (int i = 0; i < 20; i++) {
                var batch = new ArrayList<Map<String, Object>>();
                for (int k = 0; k < 100; k++) {
                    batch.add(Map.of("payload", Map.of("k", k)));
                }
                assertThat(admin.post("/v1/jobs/small/trigger/batch", Map.of("runs", batch)).status()).isLessThan(300);
            }
            long t0 = System.nanoTime();
            try (Connection c = server.db().openDedicated(); Statement s = c.createStatement()) {
                for (int from = 0; from < RUNS; from += 100_000) {
                    int n = Math.min(100_000, RUNS - from);
                    s.execute("""
                            INSERT INTO runs (id, project_id, job_id, job_slug, job_version, queue, execution, status,
                                              max_attempts, attempt, scheduled_at, created_at, started_at, finished_at,
                                              result, payload)
                            SELECT (lpad(to_hex((extract(epoch FROM t) * 1000)::bigint), 12, '0') || '7'
                                    || lpad(to_hex((random() * 4095)::int), 3, '0') || '8'
                                    || lpad(to_hex((random() * 4095)::int), 3, '0')
                                    || lpad(to_hex((random() * 281474976710655)::bigint), 12, '0'))::uuid,
                                   r.project_id, r.job_id, 'big', 1, 'big', 'worker', 'completed', 3, 1,
                                   t, t, t, t, '{"ok": true}', '{"n": 1}'
                            FROM runs r, (SELECT now() - interval '30 days' + (%d + g) * (interval '30 days' / %d) AS t
                                  FROM generate_series(1, %d) g) x WHERE r.id = '%s'""".formatted(from, RUNS, n, seed));
                }
                s.execute("VACUUM ANALYZE runs");
                s.execute("VACUUM ANALYZE run_list");
            }
            System.out.printf("filled %,d runs in %.1f s%n", RUNS, (System.nanoTime() - t0) / 1e9);

            UiClient owner = UiKit.user(server, "bench@example.com", "owner");
            String page1 = owner.get("/ui/runs").body();
            var m = java.util.regex.Pattern.compile("href=\"(/ui/runs\\?cursor=[^\"]+)\"").matcher(page1);
            assertThat(m.find()).isTrue();
            String older = m.group(1);
            String aRun = server.db().read(c -> {
                try (Statement s = c.createStatement();
                        ResultSet rs = s.executeQuery("SELECT id FROM runs WHERE job_slug = 'big' ORDER BY id LIMIT 1"
                                + " OFFSET 500000")) {
                    return rs.next() ? rs.getString(1) : seed;
                }
            });
            Map<String, String> pages = new LinkedHashMap<>();
            pages.put("/ui/runs (newest 50)", "/ui/runs");
            pages.put("/ui/runs second page (cursor)", older);
            pages.put("/ui/runs?job=big", "/ui/runs?job=big");
            pages.put("/ui/runs?status=queued", "/ui/runs?status=queued");
            pages.put("/ui/runs?status=completed&job=big", "/ui/runs?status=completed&job=big");
            pages.put("/ui/runs?before=15 days ago", "/ui/runs?before="
                    + java.time.Instant.now().minus(java.time.Duration.ofDays(15)).toString());
            pages.put("/ui/runs?queue=small (walks the keyset)", "/ui/runs?queue=small");
            pages.put("/ui/runs/{id} (run detail)", "/ui/runs/" + aRun);
            pages.put("/ui/ (overview)", "/ui/");
            StringBuilder table = new StringBuilder("| page | p50 ms | p95 ms |\n|---|---|---|\n");
            for (var e : pages.entrySet()) {
                List<Long> ms = new ArrayList<>();
                for (int i = 0; i < 33; i++) {
                    long t = System.nanoTime();
                    var a = owner.get(e.getValue());
                    assertThat(a.status()).as(e.getKey()).isEqualTo(200);
                    if (i >= 3) {
                        ms.add((System.nanoTime() - t) / 1_000_000);
                    }
                }
                ms.sort(null);
                table.append("| ").append(e.getKey()).append(" | ").append(ms.get(ms.size() / 2)).append(" | ")
                        .append(ms.get((int) Math.ceil(ms.size() * 0.95) - 1)).append(" |\n");
            }
            System.out.println(table);
            server.db().read(c -> {
                try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("""
                        EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
                        SELECT r.* FROM (SELECT id FROM run_list WHERE project_id = (SELECT project_id FROM runs LIMIT 1)
                          AND id < '%s' ORDER BY id DESC) l
                        CROSS JOIN LATERAL (SELECT id, status FROM runs WHERE runs.id = l.id LIMIT 1) r
                        ORDER BY l.id DESC LIMIT 51""".formatted(aRun))) {
                    while (rs.next()) {
                        System.out.println(rs.getString(1));
                    }
                }
                return null;
            });
        }
    }

}
