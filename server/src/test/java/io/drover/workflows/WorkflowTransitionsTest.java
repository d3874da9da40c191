package io.drover.workflows;

import static io.drover.workflows.WorkflowTesting.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.testing.Api;
import io.drover.testing.DroverTest;
import io.drover.testing.TestServer;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The recorded transitions stay inside the tables of {@link StepStatus} and
 * {@link WorkflowRunStatus}. A trigger installed in this test's database records every write of a
 * step's or a run's status (from, to); the scenarios of the workflow tests run (a DAG with a
 * condition, each failure policy, compensation, step retries, approvals, events, sleeps, a missing
 * job, a sub-workflow, an operator's cancel and retries), then every recorded move must be in the
 * tables, and every move of the tables must have happened (so no row of the table is dead).
 */
@DroverTest
class WorkflowTransitionsTest {
    static TestServer server;
    static Api api;
    static StepWorker worker;
    static final AtomicInteger flaky = new AtomicInteger();
    static volatile boolean healed;

    @BeforeAll
    static void start() {
        server.db().tx(c -> {
            try (Statement s = c.createStatement()) {
                s.execute("""
                        CREATE TABLE test_status_writes (seq bigserial PRIMARY KEY, kind text NOT NULL,
                            run_id uuid NOT NULL, step_id text, from_status text, to_status text NOT NULL)""");
                s.execute("""
                        CREATE FUNCTION test_step_status() RETURNS trigger LANGUAGE plpgsql AS $$
                        BEGIN
                            IF TG_OP = 'INSERT' THEN
                                INSERT INTO test_status_writes (kind, run_id, step_id, to_status)
                                VALUES ('step', NEW.workflow_run_id, NEW.step_id, NEW.status);
                            ELSE
                                INSERT INTO test_status_writes (kind, run_id, step_id, from_status, to_status)
                                VALUES ('step', NEW.workflow_run_id, NEW.step_id, OLD.status, NEW.status);
                            END IF;
                            RETURN NULL;
                        END $$""");
                s.execute("""
                        CREATE FUNCTION test_run_status() RETURNS trigger LANGUAGE plpgsql AS $$
                        BEGIN
                            IF TG_OP = 'INSERT' THEN
                                INSERT INTO test_status_writes (kind, run_id, to_status) VALUES ('run', NEW.id, NEW.status);
                            ELSE
                                INSERT INTO test_status_writes (kind, run_id, from_status, to_status)
                                VALUES ('run', NEW.id, OLD.status, NEW.status);
                            END IF;
                            RETURN NULL;
                        END $$""");
                // UPDATE OF status: every statement that sets the column, even to the same value
                s.execute("CREATE TRIGGER test_step_status AFTER INSERT OR UPDATE OF status ON workflow_step_runs "
                        + "FOR EACH ROW EXECUTE FUNCTION test_step_status()");
                s.execute("CREATE TRIGGER test_run_status AFTER INSERT OR UPDATE OF status ON workflow_runs "
                        + "FOR EACH ROW EXECUTE FUNCTION test_run_status()");
            }
            return null;
        });
        for (String j : List.of("ok", "boom", "fixable", "flaky", "undo", "gone")) {
            job(api, j, "tr");
        }
        job(api, "stuck", "nobody-claims-this-queue");
        worker = new StepWorker(api, "tr", run -> switch (run.get("job_slug").asText()) {
            case "boom" -> throw new IllegalStateException("boom");
            case "fixable" -> {
                if (!healed) {
                    throw new IllegalStateException("broken");
                }
                yield Map.of("fixed", true);
            }
            case "flaky" -> {
                if (flaky.incrementAndGet() < 2) {
                    throw new IllegalStateException("not yet");
                }
                yield Map.of();
            }
            default -> Map.of("step", run.get("step_id").asText());
        });
    }

    @AfterAll
    static void stop() {
        worker.close();
    }

    private static Map<String, Object> jobStep(String id, String job, List<String> deps, String onFailure) {
        return Map.of("id", id, "job", job, "depends_on", deps, "on_failure", onFailure);
    }

    private static String finished(String id, String status) {
        assertThat(awaitFinal(api, id).get("status").asText()).as("run %s", id).isEqualTo(status);
        return id;
    }

    private static void retry(String runId, String stepId) {
        var r = api.post("/v1/workflow-runs/" + runId + "/steps/" + stepId + "/retry", Map.of());
        assertThat(r.status()).as(r.text()).isEqualTo(200);
    }

    @Test
    void everyRecordedTransitionIsInTheTablesAndEveryMoveOfTheTablesHappens() {
        // a DAG with a false condition: pending -> running -> completed, pending -> skipped
        workflow(api, Map.of("slug", "dag", "steps", List.of(
                Map.of("id", "a", "job", "ok"),
                Map.of("id", "b", "job", "ok", "depends_on", List.of("a"),
                        "condition", Map.of("path", "input.x", "equals", 1)),
                Map.of("id", "c", "job", "ok", "depends_on", List.of("b")))));
        finished(trigger(api, "dag", Map.of("x", 2)), "completed");

        // fail_workflow cancels a running job step, a waiting sleep and a pending step; the operator
        // retries the failed step (failed and canceled steps start over, the failed run runs again)
        workflow(api, Map.of("slug", "fw", "steps", List.of(
                jobStep("a", "boom", List.of(), "fail_workflow"),
                Map.of("id", "s", "job", "stuck"),
                Map.of("id", "w", "type", "sleep", "duration_secs", 3600),
                jobStep("b", "ok", List.of("a"), "fail_workflow"))));
        String fw = finished(trigger(api, "fw", Map.of()), "failed");
        JsonNode failed = run(api, fw);
        assertThat(step(failed, "s").get("status").asText()).isEqualTo("canceled");
        assertThat(step(failed, "w").get("status").asText()).isEqualTo("canceled");
        assertThat(step(failed, "b").get("status").asText()).isEqualTo("canceled");
        retry(fw, "a");
        finished(fw, "failed");

        // tolerated failures complete the run; retrying them reopens it: skipped and completed steps
        // start over
        healed = false;
        workflow(api, Map.of("slug", "tol", "steps", List.of(
                jobStep("a", "fixable", List.of(), "skip_dependents"),
                jobStep("b", "ok", List.of("a"), "fail_workflow"),
                jobStep("d", "fixable", List.of(), "continue"),
                jobStep("e", "ok", List.of("d"), "fail_workflow"))));
        String tol = finished(trigger(api, "tol", Map.of()), "completed");
        assertThat(step(run(api, tol), "b").get("status").asText()).isEqualTo("skipped");
        assertThat(step(run(api, tol), "e").get("status").asText()).isEqualTo("completed");
        healed = true;
        retry(tol, "a");
        finished(tol, "completed");
        retry(tol, "d");
        assertThat(step(awaitFinal(api, tol), "e").get("status").asText()).isEqualTo("completed");

        // compensation, and a job step's second attempt
        workflow(api, Map.of("slug", "saga", "steps", List.of(
                Map.of("id", "book", "job", "ok", "compensate", Map.of("job", "undo")),
                jobStep("charge", "boom", List.of("book"), "compensate"))));
        String saga = finished(trigger(api, "saga", Map.of()), "failed");
        assertThat(step(run(api, saga), "book").get("compensated").asBoolean()).isTrue();
        workflow(api, Map.of("slug", "again", "steps", List.of(
                Map.of("id", "f", "job", "flaky", "retry", Map.of("max_attempts", 2)))));
        String again = finished(trigger(api, "again", Map.of()), "completed");
        assertThat(step(run(api, again), "f").get("attempt").asInt()).isEqualTo(2);

        // waits: approve, reject, expire; an event; sleeps that end now and later; a sub-workflow
        workflow(api, Map.of("slug", "gate", "steps", List.of(
                Map.of("id", "ask", "type", "approval", "expires_in_secs", 3600),
                jobStep("after", "ok", List.of("ask"), "fail_workflow"))));
        String approved = trigger(api, "gate", Map.of());
        awaitStep(api, approved, "ask", "waiting");
        assertThat(api.post("/v1/workflow-runs/" + approved + "/steps/ask/approve", Map.of()).status()).isEqualTo(200);
        finished(approved, "completed");
        String rejected = trigger(api, "gate", Map.of());
        awaitStep(api, rejected, "ask", "waiting");
        assertThat(api.post("/v1/workflow-runs/" + rejected + "/steps/ask/reject", Map.of()).status()).isEqualTo(200);
        finished(rejected, "failed");
        workflow(api, Map.of("slug", "expiring", "steps", List.of(
                Map.of("id", "ask", "type", "approval", "expires_in_secs", 1))));
        String expiring = finished(trigger(api, "expiring", Map.of()), "failed");
        assertThat(step(run(api, expiring), "ask").get("error").get("type").asText()).isEqualTo("approval_expired");
        workflow(api, Map.of("slug", "brief", "steps", List.of(
                Map.of("id", "nap", "type", "sleep", "duration_secs", 1),
                Map.of("id", "past", "type", "sleep", "until", "2020-01-01T00:00:00Z"),
                Map.of("id", "ev", "type", "wait_for_event", "event_key", "tr:{{workflow_run_id}}"),
                Map.of("id", "child", "type", "sub_workflow", "workflow", "dag", "payload", Map.of("x", 1)))));
        String brief = trigger(api, "brief", Map.of());
        awaitStep(api, brief, "ev", "waiting");
        assertThat(api.post("/v1/events/tr:" + brief + "/send", Map.of("payload", Map.of())).status()).isEqualTo(200);
        finished(brief, "completed");

        // a job deleted after the definition: its step fails without starting
        workflow(api, Map.of("slug", "orphan", "steps", List.of(Map.of("id", "g", "job", "gone"))));
        assertThat(api.delete("/v1/jobs/gone").status()).isEqualTo(200);
        finished(trigger(api, "orphan", Map.of()), "failed");

        // an operator cancels a run with a running, a waiting and a pending step
        workflow(api, Map.of("slug", "halt", "steps", List.of(
                Map.of("id", "s", "job", "stuck"),
                Map.of("id", "ask", "type", "approval"),
                jobStep("later", "ok", List.of("s"), "fail_workflow"))));
        String halt = trigger(api, "halt", Map.of());
        awaitStep(api, halt, "ask", "waiting");
        assertThat(api.post("/v1/workflow-runs/" + halt + "/cancel", Map.of()).status()).isEqualTo(200);
        finished(halt, "canceled");

        Set<String> illegal = new TreeSet<>();
        Set<String> stepMoves = new TreeSet<>();
        Set<String> runMoves = new TreeSet<>();
        for (String[] w : writes()) {
            String move = (w[1] == null ? "[*]" : w[1]) + " -> " + w[2];
            boolean legal;
            if (w[0].equals("step")) {
                legal = w[1] == null ? StepStatus.fromDb(w[2]) == StepStatus.INITIAL
                        : StepStatus.fromDb(w[1]).canMoveTo(StepStatus.fromDb(w[2]));
                stepMoves.add(move);
            } else {
                legal = w[1] == null ? WorkflowRunStatus.fromDb(w[2]) == WorkflowRunStatus.INITIAL
                        : WorkflowRunStatus.fromDb(w[1]).canMoveTo(WorkflowRunStatus.fromDb(w[2]));
                runMoves.add(move);
            }
            if (!legal) {
                illegal.add(w[0] + " " + move);
            }
        }
        assertThat(illegal).as("recorded status writes outside the tables").isEmpty();

        Set<String> stepTable = new TreeSet<>(Set.of("[*] -> " + StepStatus.INITIAL.db()));
        for (StepStatus from : StepStatus.values()) {
            from.next().forEach(to -> stepTable.add(from.db() + " -> " + to.db()));
        }
        Set<String> runTable = new TreeSet<>(Set.of("[*] -> " + WorkflowRunStatus.INITIAL.db()));
        for (WorkflowRunStatus from : WorkflowRunStatus.values()) {
            if (from != WorkflowRunStatus.PENDING) { // reserved: no run is ever pending today
                from.next().forEach(to -> runTable.add(from.db() + " -> " + to.db()));
            }
        }
        assertThat(stepMoves).as("step moves made by the scenarios").isEqualTo(stepTable);
        assertThat(runMoves).as("run moves made by the scenarios").isEqualTo(runTable);
    }

    private static List<String[]> writes() {
        return server.db().read(c -> {
            List<String[]> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT kind, from_status, to_status FROM test_status_writes ORDER BY seq");
                    ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new String[] {rs.getString(1), rs.getString(2), rs.getString(3)});
                }
            }
            return out;
        });
    }

    @Test
    void theWritePathRefusesAMoveOutsideTheTableAndChangesNothing() {
        workflow(api, Map.of("slug", "one", "steps", List.of(Map.of("id", "a", "job", "ok"))));
        UUID id = UUID.fromString(finished(trigger(api, "one", Map.of()), "completed"));
        // a completed step cannot start, nor settle again; a completed run cannot be canceled
        assertThatThrownBy(() -> server.db().tx(c -> {
            StatusWrites.step(c, id, "a", StepStatus.RUNNING, "step_start", q -> q.set("attempt", 2)
                    .set("run_id", null).set("child_run_id", null).set("concurrency_key", null).set("due_at", null));
            return null;
        })).isInstanceOf(IllegalStateException.class).hasMessageContaining("step 'a'")
                .hasMessageContaining("is completed and cannot move to running");
        assertThatThrownBy(() -> server.db().tx(c -> {
            StatusWrites.step(c, id, "a", StepStatus.FAILED, "step_settle",
                    q -> q.set("output", null).set("error", "{}").set("skip_reason", null));
            return null;
        })).isInstanceOf(IllegalStateException.class).hasMessageContaining("cannot move to failed");
        assertThatThrownBy(() -> server.db().tx(c -> {
            StatusWrites.run(c, id, WorkflowRunStatus.CANCELED, "finish_run",
                    q -> q.set("output", null).set("error", null));
            return null;
        })).isInstanceOf(IllegalStateException.class).hasMessageContaining("is completed and cannot move to canceled");
        JsonNode after = run(api, id.toString());
        assertThat(after.get("status").asText()).isEqualTo("completed");
        assertThat(step(after, "a").get("status").asText()).isEqualTo("completed");
        assertThat(step(after, "a").get("attempt").asInt()).isEqualTo(1);
    }
}
