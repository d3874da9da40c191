package io.drover.redact;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import io.drover.access.Principal;
import io.drover.access.Role;
import io.drover.http.Json;
import io.drover.testing.Api;
import io.drover.testing.DroverTest;
import io.drover.testing.TestServer;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Redaction at each outlet: API answers to viewers, run events, audit details, logs; never for workers. */
@DroverTest
class RedactionTest {
    static final Map<String, Object> PAYLOAD = Map.of("password", "hunter2", "card", "4111 1111 1111 1111",
            "order", 4242, "nested", Map.of("api_key", "k-123", "note", "visible"), "ssn", "078-05-1120");
    static TestServer server;
    static Api admin;
    static Api viewer;
    static Api operator;

    @BeforeAll
    static void start() {
        admin = new Api(server);
        viewer = admin.withKey(admin.post("/v1/api-keys", Map.of("name", "v", "role", "viewer")).json().get("key").asText());
        operator = admin.withKey(admin.post("/v1/api-keys", Map.of("name", "o", "role", "operator")).json().get("key")
                .asText());
        admin.post("/v1/jobs", Map.of("slug", "pay", "queue", "pay"));
    }

    @Test
    void viewersSeeRedactedRunsOperatorsAndWorkersTheRealOnes() {
        String id = admin.post("/v1/jobs/pay/trigger", Map.of("payload", PAYLOAD, "metadata", Map.of("token", "t-1")))
                .json().get("id").asText();
        var seen = viewer.get("/v1/runs/" + id).json();
        assertThat(seen.at("/payload/password").asText()).isEqualTo("[REDACTED]");
        assertThat(seen.at("/payload/card").asText()).isEqualTo("[REDACTED]");
        assertThat(seen.at("/payload/nested/api_key").asText()).isEqualTo("[REDACTED]");
        assertThat(seen.at("/payload/nested/note").asText()).isEqualTo("visible");
        assertThat(seen.at("/payload/order").asInt()).isEqualTo(4242);
        assertThat(seen.at("/metadata/token").asText()).isEqualTo("[REDACTED]");
        assertThat(viewer.get("/v1/runs").text()).doesNotContain("hunter2").doesNotContain("4111 1111");
        assertThat(operator.get("/v1/runs/" + id).json().at("/payload/password").asText()).isEqualTo("hunter2");
        var claimed = operator.post("/v1/worker/claim", Map.of("worker_id", "w", "queues", List.of("pay")));
        assertThat(claimed.json().at("/data/0/payload/password").asText()).isEqualTo("hunter2");
        // results and errors too
        operator.post("/v1/runs/" + id + "/complete", Map.of("worker_id", "w", "result", Map.of("secret", "s-9")));
        assertThat(viewer.get("/v1/runs/" + id).json().at("/result/secret").asText()).isEqualTo("[REDACTED]");
    }

    @Test
    void projectRulesAddToTheDefaultsForAuditDetails() {
        var patched = admin.patch("/v1/projects/default", Map.of("settings",
                Map.of("redaction", Map.of("keys", List.of("ssn"), "patterns", List.of("ORD-\\d+")), "timezone",
                        "Europe/Paris", "retention_days", 30)));
        assertThat(patched.status()).as(patched.text()).isEqualTo(200);
        assertThat(admin.patch("/v1/projects/default", Map.of("settings", Map.of("timezone", "Mars/Base"))).status())
                .isEqualTo(422);
        assertThat(admin.patch("/v1/projects/default", Map.of("settings",
                Map.of("redaction", Map.of("patterns", List.of("(unclosed"))))).status()).isEqualTo(422);
        admin.post("/v1/jobs", Map.of("slug", "rules", "description", "for ORD-77",
                "default_metadata", Map.of("ssn", "078-05-1120", "password", "x", "fine", "yes")));
        var audit = admin.get("/v1/audit-events?action=job.create&target_type=job&limit=1").json().at("/data/0/details");
        assertThat(audit.at("/spec/default_metadata/ssn").asText()).isEqualTo("[REDACTED]");
        assertThat(audit.at("/spec/default_metadata/password").asText()).isEqualTo("[REDACTED]");
        assertThat(audit.at("/spec/default_metadata/fine").asText()).isEqualTo("yes");
        assertThat(audit.at("/spec/description").asText()).isEqualTo("for [REDACTED]");
        // settings changes are audited
        assertThat(admin.get("/v1/audit-events?action=project.settings").json().get("data").size()).isEqualTo(1);
    }

    @Test
    void runEventsLeaveRedacted() {
        Outlets outlets = new Outlets(new Redactions(server.db()));
        var event = Json.object().put("message", "retry with password=hunter2 and Authorization: Bearer abc.def");
        event.putObject("data").put("token", "t").put("ok", 1);
        var out = outlets.event(new Principal(UUID.randomUUID(), UUID.randomUUID(), Role.ADMIN), event);
        assertThat(out.get("message").asText()).doesNotContain("hunter2").doesNotContain("abc.def");
        assertThat(out.at("/data/token").asText()).isEqualTo("[REDACTED]");
        assertThat(out.at("/data/ok").asInt()).isEqualTo(1);
    }

    @Test
    void logLinesAreRedacted() {
        RedactingMessageConverter converter = new RedactingMessageConverter();
        LoggerContext context = (LoggerContext) org.slf4j.LoggerFactory.getILoggerFactory();
        LoggingEvent e = new LoggingEvent("x", context.getLogger("t"), Level.INFO,
                "calling {} with password={} token: \"{}\" card {}", null,
                new Object[] {"svc", "hunter2", "tok-1", "4111-1111-1111-1111"});
        String line = converter.convert(e);
        assertThat(line).startsWith("calling svc with password=[REDACTED]").doesNotContain("hunter2")
                .doesNotContain("tok-1").doesNotContain("4111");
        RedactingJsonEncoder json = new RedactingJsonEncoder();
        json.setContext(context);
        json.setWithFormattedMessage(true);
        json.start();
        String jsonLine = new String(json.encode(e), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(jsonLine).contains("password=[REDACTED]").doesNotContain("hunter2");
        // ids and times survive: only Luhn-valid digit runs are cards
        assertThat(Redactor.defaults().redactText("run 1234567890123 at 2026-01-01")).contains("1234567890123");
        // run ids survive even when their digit groups happen to form a Luhn-valid card number
        for (String id : java.util.List.of("01a2508e-4111-1111-1111-1111abcdef01", "41111111-1111-7111-8111-abcdef012345",
                "01a2508e-ab12-7111-4111-111111111111")) {
            assertThat(Redactor.defaults().redactText("run " + id + " failed")).contains(id);
            assertThat(Redactor.defaults().redact(com.fasterxml.jackson.databind.node.TextNode.valueOf(id)).asText())
                    .isEqualTo(id);
        }
        assertThat(Redactor.defaults().redactText("card 4111-1111-1111-1111, exp 12/29")).doesNotContain("4111");
        assertThat(Redactor.defaults().redactText("{\"n\":\"4111111111111111\"}")).doesNotContain("4111");
    }
}
