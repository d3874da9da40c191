package io.drover.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.drover.store.DbException;
import io.drover.testing.Api;
import io.drover.testing.TestServer;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class AuditChainTest {
    static TestServer a;
    static TestServer b;

    @BeforeAll
    static void start() {
        a = TestServer.start();
        b = TestServer.startOn(a.jdbcUrl(), Map.of());
    }

    @AfterAll
    static void stop() {
        b.close();
        a.close();
    }

    static long count(String where) {
        return a.db().read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM audit_log " + where);
                    ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    @Test
    void eightWritersOnTwoNodesKeepTheProjectsChainAndTamperingIsFound() throws Exception {
        long before = count("");
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<?>> futures = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int w = 0; w < 8; w++) {
            Api api = new Api(w % 2 == 0 ? a : b);
            int writer = w;
            futures.add(pool.submit(() -> {
                for (int i = 0; i < 15; i++) {
                    String slug = "w" + writer + "-" + i;
                    assertThat(api.post("/v1/jobs", Map.of("slug", slug)).status()).isEqualTo(201);
                    assertThat(api.patch("/v1/jobs/" + slug, Map.of("priority", 5)).status()).isEqualTo(200);
                }
            }));
        }
        for (Future<?> f : futures) {
            f.get();
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        pool.shutdown();
        System.out.println("audit: 240 audited job changes from 8 writers on 2 nodes in " + ms + " ms");
        assertThat(count("") - before).isEqualTo(240);
        assertThat(count("WHERE action = 'job.create' AND actor_type = 'api_key' AND details->>'slug' LIKE 'w%'")).isEqualTo(120);

        Api api = new Api(b);
        var verify = api.get("/v1/audit-events/verify");
        assertThat(verify.status()).isEqualTo(200);
        assertThat(verify.json().get("ok").asBoolean()).as(verify.text()).isTrue();
        // the caller's project only: its chain holds every row of the project, and no other
        assertThat(verify.json().get("rows_checked").asLong())
                .isEqualTo(count("WHERE project_id = (SELECT id FROM projects WHERE slug = 'default')"));
        assertThat(verify.json().get("head_seq").asLong()).isEqualTo(verify.json().get("rows_checked").asLong());
        assertThat(verify.json().get("first_bad_id").isNull()).isTrue();

        // a refused change writes no audit row
        long rows = count("");
        assertThat(api.post("/v1/jobs", Map.of("slug", "w0-0")).status()).isEqualTo(409);
        assertThat(api.post("/v1/jobs", Map.of("slug", "BAD SLUG")).status()).isEqualTo(422);
        assertThat(count("")).isEqualTo(rows);

        // the database refuses to rewrite history
        assertThatThrownBy(() -> a.db().read(c -> io.drover.identity.IdentitySql.exec(c,
                "UPDATE audit_log SET action = 'nothing' WHERE seq = (SELECT max(seq) FROM audit_log)")))
                .isInstanceOf(DbException.class).hasMessageContaining("append-only");
        assertThatThrownBy(() -> a.db().read(c -> io.drover.identity.IdentitySql.exec(c, "DELETE FROM audit_log")))
                .isInstanceOf(DbException.class).hasMessageContaining("append-only");
        assertThatThrownBy(() -> a.db().read(c -> io.drover.identity.IdentitySql.exec(c, "TRUNCATE audit_log")))
                .isInstanceOf(DbException.class).hasMessageContaining("append-only");

        // ...unless someone with table-owner rights turns the trigger off: verify names the row
        UUID victim = a.db().read(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT id FROM audit_log WHERE action = 'job.update' ORDER BY seq OFFSET 40 LIMIT 1");
                    ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getObject(1, UUID.class);
            }
        });
        a.db().tx(c -> {
            io.drover.identity.IdentitySql.exec(c, "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update");
            io.drover.identity.IdentitySql.exec(c,
                    "UPDATE audit_log SET details = jsonb_set(details, '{version}', '99') WHERE id = ?", victim);
            io.drover.identity.IdentitySql.exec(c, "ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update");
            return null;
        });
        var broken = api.get("/v1/audit-events/verify");
        assertThat(broken.json().get("ok").asBoolean()).isFalse();
        assertThat(broken.json().get("first_bad_id").asText()).isEqualTo(victim.toString());
    }

    @Test
    void operatorActionsAndLoginsAreAudited() {
        Api api = new Api(a);
        api.post("/v1/jobs", Map.of("slug", "ops"));
        String run = api.post("/v1/jobs/ops/trigger", Map.of()).json().get("id").asText();
        assertThat(api.post("/v1/runs/" + run + "/cancel", null).status()).isEqualTo(200);
        assertThat(api.post("/v1/runs/" + run + "/cancel", null).status()).isEqualTo(409);
        assertThat(api.post("/v1/runs/" + run + "/replay", null).status()).isEqualTo(201);
        var rows = api.get("/v1/audit-events?target_type=run&target_id=" + run).json().get("data");
        assertThat(rows).extracting(r -> r.get("action").asText()).containsExactly("run.replay", "run.cancel");
        assertThat(rows.get(1).at("/details/from").asText()).isEqualTo("queued");
        assertThat(api.delete("/v1/jobs/ops").status()).isEqualTo(200);
        assertThat(api.get("/v1/audit-events?action=job.delete").json().get("data")).hasSize(1);
    }

    @Test
    void listFiltersPagesAndExports() {
        Api api = new Api(a);
        for (int i = 0; i < 5; i++) {
            api.post("/v1/jobs", Map.of("slug", "page-" + i, "default_metadata", Map.of("password", "hunter2")));
        }
        var first = api.get("/v1/audit-events?action=job.create&limit=3");
        assertThat(first.status()).isEqualTo(200);
        assertThat(first.json().get("data")).hasSize(3);
        var row = first.json().get("data").get(0);
        assertThat(row.get("action").asText()).isEqualTo("job.create");
        assertThat(row.at("/actor/type").asText()).isEqualTo("api_key");
        assertThat(row.get("row_hmac").asText()).hasSize(64);
        // details are redacted before they are written
        assertThat(row.at("/details/spec/default_metadata/password").asText()).isEqualTo("[REDACTED]");
        String cursor = first.json().get("next_cursor").asText();
        var second = api.get("/v1/audit-events?action=job.create&limit=3&cursor=" + cursor);
        assertThat(second.json().get("data").get(0).get("seq").asLong()).isLessThan(row.get("seq").asLong());
        assertThat(api.get("/v1/audit-events?action=job.&limit=500").json().get("data").size()).isGreaterThanOrEqualTo(5);
        assertThat(api.get("/v1/audit-events?since=yesterday").status()).isEqualTo(400);
        assertThat(api.get("/v1/audit-events?cursor=zzz").status()).isEqualTo(400);

        var export = api.get("/v1/audit-events/export?action=job.create");
        assertThat(export.status()).isEqualTo(200);
        String[] lines = export.text().strip().split("\n");
        assertThat(lines.length).isGreaterThanOrEqualTo(5);
        assertThat(export.text()).doesNotContain("hunter2");
        for (String line : lines) {
            assertThat(io.drover.http.Json.read(line).get("action").asText()).isEqualTo("job.create");
        }
    }
}
