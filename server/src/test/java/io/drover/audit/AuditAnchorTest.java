package io.drover.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.crypto.Keys;
import io.drover.http.Json;
import io.drover.identity.ApiKeys;
import io.drover.identity.IdentitySql;
import io.drover.redact.Redactions;
import io.drover.store.UuidV7;
import io.drover.testing.Api;
import io.drover.testing.Await;
import io.drover.testing.DroverTest;
import io.drover.testing.TestServer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The per-project chain and its signed head: verify finds a row removed anywhere (the newest and
 * the oldest included), an edited row and a rewound head, checks only the caller's project, and an
 * append in one project does not wait for another project's. Each test works in projects of its own.
 */
@DroverTest
class AuditAnchorTest {
    static TestServer server;

    /** A new project with an admin API key, made directly in the database. */
    static Api project(String slug) {
        String key = "audit-test-" + slug + "-0123456789abcdef";
        ApiKeys keys = new ApiKeys(server.db(), Keys.of(Base64.getDecoder().decode(TestServer.SECRETS_KEY)));
        server.db().tx(c -> {
            UUID id = UuidV7.next();
            IdentitySql.exec(c, "INSERT INTO projects (id, slug, name) VALUES (?, ?, ?)", id, slug, slug);
            try (PreparedStatement ps = c.prepareStatement("""
                    INSERT INTO api_keys (id, project_id, name, prefix, key_hash, role)
                    VALUES (?, ?, 'test', ?, ?, 'admin')""")) {
                ps.setObject(1, UuidV7.next());
                ps.setObject(2, id);
                ps.setString(3, key.substring(0, 8));
                ps.setBytes(4, keys.hash(key));
                ps.executeUpdate();
            }
            return null;
        });
        return new Api(server.baseUrl(), key);
    }

    static UUID projectId(Api api) {
        return UUID.fromString(api.get("/v1/me").json().get("project_id").asText());
    }

    static void jobs(Api api, String prefix, int n) {
        for (int i = 0; i < n; i++) {
            var r = api.post("/v1/jobs", Map.of("slug", prefix + "-" + i));
            assertThat(r.status()).as(r.text()).isEqualTo(201);
        }
    }

    /** The project's audit row ids in chain order. */
    static List<UUID> chain(UUID project) {
        return server.db().read(c -> {
            List<UUID> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT id FROM audit_log WHERE project_id = ? ORDER BY seq")) {
                ps.setObject(1, project);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(rs.getObject(1, UUID.class));
                    }
                }
            }
            return out;
        });
    }

    /** What someone with table-owner rights can do: turn the trigger off and change history. */
    static void tamper(String sql, Object... args) {
        server.db().tx(c -> {
            IdentitySql.exec(c, "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update");
            IdentitySql.exec(c, sql, args);
            IdentitySql.exec(c, "ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update");
            return null;
        });
    }

    static JsonNode verify(Api api) {
        var v = api.get("/v1/audit-events/verify");
        assertThat(v.status()).as(v.text()).isEqualTo(200);
        return v.json();
    }

    @Test
    void removingTheNewestRowIsFoundAndStaysFoundAfterTheNextAppend() {
        Api api = project("newest");
        UUID p = projectId(api);
        jobs(api, "n", 4);
        JsonNode ok = verify(api);
        assertThat(ok.get("ok").asBoolean()).as(ok.toString()).isTrue();
        assertThat(ok.get("rows_checked").asLong()).isEqualTo(4);
        assertThat(ok.get("head_seq").asLong()).isEqualTo(4);
        assertThat(ok.get("problem").isNull()).isTrue();

        List<UUID> rows = chain(p);
        tamper("DELETE FROM audit_log WHERE id = ?", rows.get(3));
        JsonNode broken = verify(api);
        assertThat(broken.get("ok").asBoolean()).as(broken.toString()).isFalse();
        assertThat(broken.get("problem").asText()).isEqualTo("rows_missing_at_end");
        assertThat(broken.get("rows_checked").asLong()).isEqualTo(3);
        assertThat(broken.get("head_seq").asLong()).isEqualTo(4);

        // the next append goes on from the signed head, so the hole stays visible
        jobs(api, "after", 1);
        JsonNode still = verify(api);
        assertThat(still.get("ok").asBoolean()).as(still.toString()).isFalse();
        assertThat(still.get("problem").asText()).isEqualTo("link_broken");
        assertThat(still.get("first_bad_id").asText()).isEqualTo(chain(p).get(3).toString());
    }

    @Test
    void removingAMiddleRowOrTheOldestIsFound() {
        Api api = project("middle");
        UUID p = projectId(api);
        jobs(api, "m", 5);
        List<UUID> rows = chain(p);
        tamper("DELETE FROM audit_log WHERE id = ?", rows.get(2));
        JsonNode broken = verify(api);
        assertThat(broken.get("ok").asBoolean()).isFalse();
        assertThat(broken.get("problem").asText()).isEqualTo("link_broken");
        assertThat(broken.get("first_bad_id").asText()).isEqualTo(rows.get(3).toString());

        Api other = project("oldest");
        UUID q = projectId(other);
        jobs(other, "o", 3);
        List<UUID> first = chain(q);
        tamper("DELETE FROM audit_log WHERE id = ?", first.get(0));
        JsonNode start = verify(other);
        assertThat(start.get("ok").asBoolean()).isFalse();
        assertThat(start.get("problem").asText()).isEqualTo("link_broken");
        assertThat(start.get("first_bad_id").asText()).isEqualTo(first.get(1).toString());
    }

    @Test
    void anEditedRowIsNamed() {
        Api api = project("edited");
        UUID p = projectId(api);
        jobs(api, "e", 3);
        UUID victim = chain(p).get(1);
        tamper("UPDATE audit_log SET details = jsonb_set(details, '{slug}', '\"forged\"') WHERE id = ?", victim);
        JsonNode broken = verify(api);
        assertThat(broken.get("ok").asBoolean()).isFalse();
        assertThat(broken.get("problem").asText()).isEqualTo("row_changed");
        assertThat(broken.get("first_bad_id").asText()).isEqualTo(victim.toString());
    }

    @Test
    void rewindingTheHeadOverRemovedRowsIsFoundAndNotResignedByLaterAppends() {
        Api api = project("rewound");
        UUID p = projectId(api);
        jobs(api, "r", 4);
        UUID last = chain(p).get(3);
        // remove the newest row and make the head name the row before it, without the key
        tamper("DELETE FROM audit_log WHERE id = ?", last);
        server.db().read(c -> IdentitySql.exec(c, """
                UPDATE audit_heads h SET last_seq = l.chain_seq, last_hmac = l.row_hmac
                FROM audit_log l WHERE h.project_id = ? AND l.project_id = h.project_id AND l.chain_seq = 3""", p));
        JsonNode broken = verify(api);
        assertThat(broken.get("ok").asBoolean()).as(broken.toString()).isFalse();
        assertThat(broken.get("problem").asText()).isEqualTo("head_changed");

        jobs(api, "later", 2);
        JsonNode still = verify(api);
        assertThat(still.get("ok").asBoolean()).as(still.toString()).isFalse();
        assertThat(still.get("problem").asText()).isEqualTo("head_changed");
        assertThat(still.get("head_seq").asLong()).isEqualTo(5);
    }

    @Test
    void verifyChecksOnlyTheCallersProject() {
        Api a = project("alpha");
        Api b = project("beta");
        UUID pa = projectId(a);
        UUID pb = projectId(b);
        jobs(a, "a", 3);
        jobs(b, "b", 4);
        UUID victim = chain(pb).get(1);
        tamper("UPDATE audit_log SET action = 'job.forged' WHERE id = ?", victim);
        tamper("DELETE FROM audit_log WHERE id = ?", chain(pb).get(3));

        JsonNode va = verify(a);
        assertThat(va.get("ok").asBoolean()).as(va.toString()).isTrue();
        assertThat(va.get("rows_checked").asLong()).isEqualTo(chain(pa).size()).isEqualTo(3);
        JsonNode vb = verify(b);
        assertThat(vb.get("ok").asBoolean()).isFalse();
        assertThat(vb.get("first_bad_id").asText()).isEqualTo(victim.toString());
        assertThat(vb.get("rows_checked").asLong()).isEqualTo(3);

        // and B's broken row never shows up in A's answers
        for (String path : List.of("/v1/audit-events/verify", "/v1/audit-events?limit=500",
                "/v1/audit-events/export")) {
            assertThat(a.get(path).text()).doesNotContain(victim.toString());
        }
    }

    @Test
    void anAppendInOneProjectDoesNotWaitForAnotherProjects() throws Exception {
        Api a = project("held");
        Api b = project("free");
        UUID pa = projectId(a);
        AuditLog log = new AuditLog(Keys.of(Base64.getDecoder().decode(TestServer.SECRETS_KEY)),
                new Redactions(server.db()));
        try (Connection held = server.db().openDedicated()) {
            held.setAutoCommit(false);
            // an audited change of project A, not yet committed: it holds A's head
            log.append(held, Actor.SYSTEM, pa, "test.hold", "job", null, Json.object());

            var inB = CompletableFuture.supplyAsync(() -> b.post("/v1/jobs", Map.of("slug", "b-free")));
            assertThat(inB.get(20, TimeUnit.SECONDS).status()).isEqualTo(201);

            // A's own next append waits for the head...
            var inA = CompletableFuture.supplyAsync(() -> a.post("/v1/jobs", Map.of("slug", "a-waits")));
            Await.until("project A's append to wait for A's head", Duration.ofSeconds(20), () -> server.db().read(c -> {
                try (PreparedStatement ps = c.prepareStatement("""
                        SELECT count(*) FROM pg_stat_activity
                        WHERE datname = current_database() AND wait_event_type = 'Lock'""");
                        ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getLong(1) > 0;
                }
            }));
            assertThat(inA.isDone()).isFalse();
            held.commit();
            // ...and goes on after it, behind the held row
            assertThat(inA.get(20, TimeUnit.SECONDS).status()).isEqualTo(201);
        }
        JsonNode va = verify(a);
        assertThat(va.get("ok").asBoolean()).as(va.toString()).isTrue();
        assertThat(va.get("rows_checked").asLong()).isEqualTo(2);
        assertThat(verify(b).get("ok").asBoolean()).isTrue();
    }
}
