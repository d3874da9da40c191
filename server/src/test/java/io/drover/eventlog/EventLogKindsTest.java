package io.drover.eventlog;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.testing.Api;
import io.drover.testing.Await;
import io.drover.testing.TestClock;
import io.drover.testing.TestServer;
import java.sql.PreparedStatement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** What the log holds besides run events: workflow runs and steps, approvals; and its retention. */
class EventLogKindsTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    private static List<Event> all(TestServer server) {
        List<Event> out = new ArrayList<>();
        String cursor = null;
        while (true) {
            String from = cursor;
            List<Event> page = server.db().read(c -> server.server().eventLog().after(c, from, null, 100));
            if (page.isEmpty()) {
                return out;
            }
            out.addAll(page);
            cursor = page.get(page.size() - 1).id();
        }
    }

    private static List<String> types(List<Event> events) {
        return events.stream().map(Event::type).toList();
    }

    @Test
    void workflowRunsStepsAndApprovalsAreEventsWithTheirTypes() {
        try (TestServer server = TestServer.start()) {
            Api api = new Api(server);
            assertThat(api.post("/v1/jobs", Map.of("slug", "pay", "queue", "payq")).status()).isEqualTo(201);
            assertThat(api.post("/v1/workflows", Map.of("slug", "gate", "steps", List.of(
                    Map.of("id", "ask", "type", "approval"),
                    Map.of("id", "work", "job", "pay", "depends_on", List.of("ask"))))).status()).isEqualTo(201);
            String wf = api.post("/v1/workflows/gate/trigger", Map.of()).json().get("id").asText();
            api.awaitStatus("/v1/workflow-runs/" + wf, "waiting");
            assertThat(api.post("/v1/workflow-runs/" + wf + "/steps/ask/approve", Map.of("comment", "ok")).status())
                    .isEqualTo(200);
            var claimed = Await.value("the step's run", WAIT, () -> api.post("/v1/worker/claim",
                    Map.of("worker_id", "w", "queues", List.of("payq"))).json().get("data"), d -> d.size() == 1);
            String run = claimed.get(0).get("id").asText();
            assertThat(api.post("/v1/runs/" + run + "/complete", Map.of("worker_id", "w")).status()).isEqualTo(200);
            api.awaitStatus("/v1/workflow-runs/" + wf, "completed");
            // A standalone request, rejected.
            String approval = api.post("/v1/approvals", Map.of("action", "drop table")).json().get("id").asText();
            assertThat(api.post("/v1/approvals/" + approval + "/reject", Map.of()).status()).isEqualTo(200);

            List<Event> events = Await.value("the rejection in the log", WAIT, () -> all(server),
                    e -> types(e).contains("approval.rejected"));
            // Within one bucket run events come before log_events rows (the id is fence, source, seq), and
            // transactions that commit between two fences share a bucket: each source is in commit order.
            List<String> types = types(events);
            assertThat(types.stream().filter(t -> !t.startsWith("run.")).toList()).containsSubsequence(
                    "workflow_run.running", "approval.requested", "workflow_step.waiting", "approval.approved",
                    "workflow_step.completed",
                    "workflow_step.running", "workflow_step.completed", "workflow_run.completed",
                    "approval.requested", "approval.rejected");
            assertThat(types.stream().filter(t -> t.startsWith("run.")).toList())
                    .containsExactly("run.created", "run.claimed", "run.completed");
            Event done = events.stream().filter(e -> e.type().equals("workflow_run.completed")).findFirst().orElseThrow();
            assertThat(done.runId().toString()).isEqualTo(wf);
            assertThat(done.data().get("workflow").asText()).isEqualTo("gate");
            Event step = events.stream().filter(e -> e.type().equals("workflow_step.running")).findFirst().orElseThrow();
            assertThat(step.data().get("step_id").asText()).isEqualTo("work");
            assertThat(step.data().get("run_id").asText()).isEqualTo(run);
            Event rejected = events.stream().filter(e -> e.type().equals("approval.rejected")).findFirst().orElseThrow();
            assertThat(rejected.type()).isEqualTo("approval.rejected");
            assertThat(rejected.data().get("id").asText()).isEqualTo(approval);
            assertThat(rejected.data().get("action").asText()).isEqualTo("drop table");
            Event completed = events.stream().filter(e -> e.type().equals("run.completed")).findFirst().orElseThrow();
            assertThat(completed.data().get("job_slug").asText()).isEqualTo("pay");
            assertThat(completed.data().get("status").asText()).isEqualTo("completed");
            assertThat(completed.data().get("from_status").asText()).isEqualTo("executing");
            assertThat(completed.data().get("attempt").asInt()).isEqualTo(1);
        }
    }

    @Test
    void retentionDeletesOldLogEventsAndOldFencesButKeepsTheNewestFence() {
        TestClock clock = new TestClock();
        try (TestServer server = TestServer.start(Map.of(), clock)) {
            UUID project = server.db().read(EventStreamTest::projectId);
            Api api = new Api(server);
            api.post("/v1/approvals", Map.of("action", "old"));
            Await.until("a fence", WAIT, () -> server.db().read(c -> server.server().eventLog().head(c)).fence() > 0);
            server.server().fenceWriter().stop(); // no new fence while the old ones are pruned
            clock.advance(Duration.ofDays(RetentionDays.DAYS + 1));
            server.db().read(c -> {
                try (PreparedStatement ps = c.prepareStatement(
                        "INSERT INTO log_events (project_id, type, data, occurred_at) VALUES (?, 'approval.requested', '{}', ?)")) {
                    ps.setObject(1, project);
                    ps.setTimestamp(2, Timestamp.from(clock.instant()));
                    return ps.executeUpdate();
                }
            });
            long fencesBefore = count(server, "SELECT count(*) FROM event_fences");
            // null: the node's own pass holds the singleton lock at that moment; run ours once it is free
            Await.until("a retention pass of ours", WAIT, () -> {
                try {
                    return server.server().retention().runHourly() != null;
                } catch (java.sql.SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            assertThat(count(server, "SELECT count(*) FROM log_events WHERE occurred_at < now() + interval '1 day'"))
                    .as("the old event went").isZero();
            assertThat(count(server, "SELECT count(*) FROM log_events")).as("the recent one stays").isEqualTo(1);
            assertThat(fencesBefore).isGreaterThanOrEqualTo(1);
            assertThat(count(server, "SELECT count(*) FROM event_fences")).as("the newest fence stays").isEqualTo(1);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static long count(TestServer server, String sql) {
        return server.db().read(c -> {
            try (var st = c.createStatement(); var rs = st.executeQuery(sql)) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    private static final class RetentionDays {
        static final int DAYS = io.drover.retention.RetentionPass.DEFAULT_EVENT_DAYS;
    }
}
