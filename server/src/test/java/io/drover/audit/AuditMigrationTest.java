package io.drover.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.crypto.Keys;
import io.drover.redact.Redactions;
import io.drover.store.EmbeddedDatabase;
import io.drover.store.UuidV7;
import io.drover.testing.Api;
import io.drover.testing.TestDatabase;
import io.drover.testing.TestServer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

/**
 * An installation upgraded from V7, whose audit rows form one global chain, has them re-chained per
 * project on the first start: every project's chain (and the account chain) verifies, new rows
 * follow on, a second node starting later changes nothing, and a row that was already tampered
 * with before the upgrade is still named by its project's verify.
 */
class AuditMigrationTest {
    static final UUID DEFAULT = UUID.fromString("00000000-0000-7000-8000-0000000000a1");
    static final UUID OTHER = UUID.fromString("00000000-0000-7000-8000-0000000000a2");
    static final AuditLog LOG = new AuditLog(Keys.of(Base64.getDecoder().decode(TestServer.SECRETS_KEY)),
            new Redactions(null));

    /** A database at V7 with {@code n} rows in one global chain, over two projects and the account events. */
    static String v7Database(int n) throws SQLException {
        EmbeddedDatabase pg = TestDatabase.embedded();
        String name = "t_audit_upgrade_" + System.nanoTime();
        pg.ensureDatabase(name);
        String url = pg.jdbcUrl(name);
        Flyway.configure().dataSource(url, pg.user(), null).locations("classpath:db/migration").target("7")
                .load().migrate();
        try (Connection c = DriverManager.getConnection(url, pg.user(), null)) {
            try (var s = c.createStatement()) {
                s.execute("""
                        INSERT INTO projects (id, slug, name) VALUES
                            ('00000000-0000-7000-8000-0000000000a1', 'default', 'Default'),
                            ('00000000-0000-7000-8000-0000000000a2', 'other', 'Other')""");
            }
            String prev = null;
            for (int i = 0; i < n; i++) {
                UUID project = i % 3 == 0 ? DEFAULT : i % 3 == 1 ? OTHER : null;
                prev = appendV7(c, project, "{\"slug\": \"j" + i + "\"}", prev);
            }
        }
        return url;
    }

    /** What AuditLog.append wrote up to V7: the row linked to the newest row of all, whatever its project. */
    static String appendV7(Connection c, UUID project, String details, String prev) throws SQLException {
        String text;
        OffsetDateTime ts;
        try (PreparedStatement ps = c.prepareStatement("SELECT ?::jsonb::text, clock_timestamp()")) {
            ps.setString(1, details);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                text = rs.getString(1);
                ts = rs.getObject(2, OffsetDateTime.class);
            }
        }
        UUID id = UuidV7.next();
        AuditEvent row = new AuditEvent(0, 0, id, ts.toInstant(), "api_key", null, project, "job.create", "job",
                "x", text, prev, null);
        String hmac = LOG.legacyHmac(prev, row);
        try (PreparedStatement ps = c.prepareStatement("""
                INSERT INTO audit_log (id, ts, actor_type, actor_id, project_id, action, target_type, target_id,
                                       details, prev_row_hmac, row_hmac)
                VALUES (?, ?, 'api_key', NULL, ?, 'job.create', 'job', 'x', ?::jsonb, ?, ?)""")) {
            ps.setObject(1, id);
            ps.setObject(2, ts);
            ps.setObject(3, project);
            ps.setString(4, text);
            ps.setString(5, prev);
            ps.setString(6, hmac);
            ps.executeUpdate();
        }
        return hmac;
    }

    static List<String> hmacs(TestServer s) {
        return s.db().read(c -> {
            List<String> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT row_hmac FROM audit_log ORDER BY seq");
                    ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
            return out;
        });
    }

    @Test
    void aV7ChainIsRechainedPerProjectAndVerifies() throws SQLException {
        String url = v7Database(30);
        try (TestServer a = TestServer.startOn(url, Map.of())) {
            Api api = new Api(a);
            assertThat(api.get("/v1/me").json().get("project_id").asText()).isEqualTo(DEFAULT.toString());
            JsonNode v = api.get("/v1/audit-events/verify").json();
            assertThat(v.get("ok").asBoolean()).as(v.toString()).isTrue();
            assertThat(v.get("rows_checked").asLong()).isEqualTo(10);
            assertThat(v.get("head_seq").asLong()).isEqualTo(10);
            AuditStore store = new AuditStore(a.db(), LOG);
            assertThat(store.verify(OTHER)).isEqualTo(new AuditStore.Verification(true, 10, null, null, 1, 10));
            assertThat(store.verify(null)).isEqualTo(new AuditStore.Verification(true, 10, null, null, 1, 10));

            // new rows follow on in the project's chain
            assertThat(api.post("/v1/jobs", Map.of("slug", "after-upgrade")).status()).isEqualTo(201);
            var rows = api.get("/v1/audit-events?action=job.create&limit=1").json().get("data");
            assertThat(rows.get(0).get("chain_seq").asLong()).isEqualTo(11);
            assertThat(api.get("/v1/audit-events/verify").json().get("ok").asBoolean()).isTrue();

            // a second node starting later re-chains nothing
            List<String> before = hmacs(a);
            try (TestServer b = TestServer.startOn(url, Map.of())) {
                assertThat(hmacs(b)).isEqualTo(before);
                assertThat(new Api(b).get("/v1/audit-events/verify").json().get("ok").asBoolean()).isTrue();
            }
        }
    }

    @Test
    void aRowTamperedWithBeforeTheUpgradeIsStillNamed() throws SQLException {
        String url = v7Database(12);
        UUID victim;
        try (Connection c = DriverManager.getConnection(url, TestDatabase.embedded().user(), null);
                var s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery(
                    "SELECT id FROM audit_log WHERE project_id = '" + OTHER + "' ORDER BY seq OFFSET 2 LIMIT 1")) {
                rs.next();
                victim = rs.getObject(1, UUID.class);
            }
            s.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update");
            s.execute("UPDATE audit_log SET target_id = 'forged' WHERE id = '" + victim + "'");
            s.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update");
        }
        try (TestServer a = TestServer.startOn(url, Map.of())) {
            AuditStore store = new AuditStore(a.db(), LOG);
            AuditStore.Verification other = store.verify(OTHER);
            assertThat(other.ok()).isFalse();
            assertThat(other.firstBadId()).isEqualTo(victim);
            assertThat(other.problem()).isEqualTo("row_changed");
            // the other chains are not affected
            assertThat(store.verify(DEFAULT).ok()).isTrue();
            assertThat(store.verify(null).ok()).isTrue();
        }
    }
}
