package io.drover.secrets;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.sun.net.httpserver.HttpServer;
import io.drover.testing.Api;
import io.drover.testing.Await;
import io.drover.testing.TestServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class SecretsTest {
    static final String VALUE = "s3cr3t-VALUE-7f9a1c";

    @Test
    void encryptedAtRestNeverShownNeverLoggedAndUsableAfterRestart() throws Exception {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        root.addAppender(logs);
        List<String> received = new CopyOnWriteArrayList<>();
        HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/hook", ex -> {
            received.add(ex.getRequestHeaders().getFirst("Authorization") + " | "
                    + new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        receiver.start();
        List<String> answers = new CopyOnWriteArrayList<>();
        String jdbcUrl;
        try {
            try (TestServer first = TestServer.start()) {
                jdbcUrl = first.jdbcUrl();
                Api api = new Api(first);
                var put = api.post("/v1/secrets", Map.of("name", "API_TOKEN", "value", VALUE));
                assertThat(put.status()).isEqualTo(201);
                assertThat(put.json().get("key_id").asInt()).isEqualTo(1);
                answers.add(put.text());
                answers.add(api.get("/v1/secrets").text());
                answers.add(api.get("/v1/secrets/API_TOKEN").text());
                var replaced = api.send("PUT", "/v1/secrets/API_TOKEN", Map.of("value", VALUE));
                assertThat(replaced.status()).isEqualTo(200);
                answers.add(replaced.text());
                assertThat(api.post("/v1/secrets", Map.of("name", "bad name", "value", "x")).status()).isEqualTo(422);
                assertThat(api.post("/v1/secrets", Map.of("name", "NOVALUE")).status()).isEqualTo(422);
                // stored sealed: no column of any row holds the plaintext, nor does the audit log
                assertThat(countLike(first, "secrets")).isZero();
                assertThat(countLike(first, "audit_log")).isZero();
                answers.add(api.get("/v1/audit-events?target_type=secret").text());
            }
            try (TestServer second = TestServer.startOn(jdbcUrl, Map.of())) {
                Api api = new Api(second);
                var job = api.post("/v1/jobs", Map.of("slug", "hook", "execution", "http",
                        "endpoint_url", "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook",
                        "headers", Map.of("Authorization", "Bearer {{secrets.API_TOKEN}}")));
                assertThat(job.status()).as(job.text()).isEqualTo(201);
                answers.add(job.text());
                assertThat(job.json().at("/headers/Authorization").asText()).isEqualTo("Bearer {{secrets.API_TOKEN}}");
                var run = api.post("/v1/jobs/hook/trigger", Map.of("payload", Map.of("password", "real-pass")));
                String runId = run.json().get("id").asText();
                Await.until("pushed", Duration.ofSeconds(20), () -> !received.isEmpty());
                // after a restart the value decrypts; HTTP push gets the real header and the real payload
                assertThat(received.get(0)).startsWith("Bearer " + VALUE + " | ").contains("real-pass");
                api.awaitStatus("/v1/runs/" + runId, "completed", Duration.ofSeconds(10));
                answers.add(api.get("/v1/runs/" + runId + "/events").text());
                // a header naming an unknown secret fails the run without leaking anything
                api.post("/v1/jobs", Map.of("slug", "hook2", "execution", "http",
                        "endpoint_url", "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook",
                        "headers", Map.of("X-Token", "{{secrets.MISSING}}")));
                String run2 = api.post("/v1/jobs/hook2/trigger", Map.of()).json().get("id").asText();
                api.awaitStatus("/v1/runs/" + run2, "system_failed", Duration.ofSeconds(20));
                assertThat(api.post("/v1/jobs", Map.of("slug", "h3", "execution", "http", "endpoint_url",
                        "http://x.test/", "headers", Map.of("X-Drover-Run-Id", "x"))).status()).isEqualTo(422);
            }
        } finally {
            receiver.stop(0);
            root.detachAppender(logs);
        }
        assertThat(answers).noneMatch(a -> a.contains(VALUE));
        assertThat(logs.list).noneMatch(e -> e.getFormattedMessage().contains(VALUE));
    }

    @Test
    void workersWhoseKeyMayReadSecretsGetTheJobsSecretsInTheClaim() {
        try (TestServer server = TestServer.start()) {
            Api admin = new Api(server);
            admin.post("/v1/secrets", Map.of("name", "DB_PASSWORD", "value", VALUE));
            var job = admin.post("/v1/jobs", Map.of("slug", "needs-db", "queue", "db",
                    "secrets", List.of("DB_PASSWORD", "NOT_SET")));
            assertThat(job.status()).as(job.text()).isEqualTo(201);
            assertThat(job.text()).doesNotContain(VALUE);
            Api plain = admin.withKey(admin.post("/v1/api-keys", Map.of("name", "w", "role", "operator"))
                    .json().get("key").asText());
            var reader = admin.post("/v1/api-keys", Map.of("name", "w2", "role", "operator", "read_secrets", true));
            assertThat(reader.json().get("read_secrets").asBoolean()).isTrue();
            Api trusted = admin.withKey(reader.json().get("key").asText());
            admin.post("/v1/jobs/needs-db/trigger", Map.of());
            admin.post("/v1/jobs/needs-db/trigger", Map.of());
            var claim = Map.of("worker_id", "w", "queues", List.of("db"), "max", 1);
            var withoutSecrets = plain.post("/v1/worker/claim", claim);
            assertThat(withoutSecrets.json().at("/data/0").has("secrets")).isFalse();
            assertThat(withoutSecrets.text()).doesNotContain(VALUE);
            var withSecrets = trusted.post("/v1/worker/claim", claim);
            assertThat(withSecrets.json().at("/data/0/secrets/DB_PASSWORD").asText()).isEqualTo(VALUE);
            assertThat(withSecrets.json().at("/data/0/secrets").has("NOT_SET")).isFalse();
            assertThat(admin.post("/v1/jobs", Map.of("slug", "x", "secrets", List.of("bad name"))).status())
                    .isEqualTo(422);
            // another environment's value is used when the job names that environment
            admin.post("/v1/secrets", Map.of("name", "DB_PASSWORD", "value", "staging-pw", "environment", "staging"));
            admin.post("/v1/jobs", Map.of("slug", "staging-db", "queue", "stg", "secrets", List.of("DB_PASSWORD"),
                    "secrets_environment", "staging"));
            admin.post("/v1/jobs/staging-db/trigger", Map.of());
            var staged = trusted.post("/v1/worker/claim", Map.of("worker_id", "w", "queues", List.of("stg")));
            assertThat(staged.json().at("/data/0/secrets/DB_PASSWORD").asText()).isEqualTo("staging-pw");
        }
    }

    static long countLike(TestServer s, String table) {
        return s.db().read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM " + table + " t WHERE t::text LIKE ?")) {
                ps.setString(1, "%" + VALUE + "%");
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        });
    }
}
