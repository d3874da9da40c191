package io.drover.workflows;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The two workflow state machines as tables: their names are the schema's, their shape is what
 * the engine relies on, and the diagrams in docs/workflows.md are exactly the tables (so the doc
 * cannot drift from the code).
 */
class WorkflowStatesTest {

    @Test
    void namesAreTheOnesTheSchemaAllows() throws IOException {
        String v3;
        try (InputStream in = getClass().getResourceAsStream("/db/migration/V3__workflows.sql")) {
            v3 = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(checkList(v3, "workflow_runs")).containsExactlyInAnyOrderElementsOf(
                Arrays.stream(WorkflowRunStatus.values()).map(WorkflowRunStatus::db).toList());
        assertThat(checkList(v3, "workflow_step_runs")).containsExactlyInAnyOrderElementsOf(
                Arrays.stream(StepStatus.values()).map(StepStatus::db).toList());
        for (StepStatus s : StepStatus.values()) {
            assertThat(StepStatus.fromDb(s.db())).isEqualTo(s);
        }
        for (WorkflowRunStatus s : WorkflowRunStatus.values()) {
            assertThat(WorkflowRunStatus.fromDb(s.db())).isEqualTo(s);
            assertThat(WorkflowRunStatus.isFilter(s.db())).isTrue();
        }
        assertThat(WorkflowRunStatus.isFilter("waiting")).isTrue();
        assertThat(WorkflowRunStatus.isFilter("RUNNING")).isFalse();
        assertThat(WorkflowRunStatus.isFilter("skipped")).isFalse();
    }

    /** The values of the {@code status} CHECK constraint of a table in V3. */
    private static List<String> checkList(String sql, String table) {
        Matcher t = Pattern.compile("CREATE TABLE " + table + " \\((.*?)\\n\\);", Pattern.DOTALL).matcher(sql);
        assertThat(t.find()).as("table %s in V3", table).isTrue();
        Matcher m = Pattern.compile("status\\s+text NOT NULL CHECK \\(status IN \\(([^)]*)\\)\\)").matcher(t.group(1));
        assertThat(m.find()).as("status CHECK of %s", table).isTrue();
        List<String> out = new ArrayList<>();
        for (String v : m.group(1).split(",")) {
            out.add(v.strip().replace("'", ""));
        }
        return out;
    }

    @Test
    void aCanceledRunIsTheOnlyTerminalStateAndFinishedRunsOnlyReopen() {
        for (WorkflowRunStatus s : WorkflowRunStatus.values()) {
            assertThat(s.isTerminal()).as("%s terminal", s.db()).isEqualTo(s == WorkflowRunStatus.CANCELED);
            if (s.isTerminal()) {
                assertThat(s.next()).isEmpty();
            }
        }
        assertThat(WorkflowRunStatus.RUNNING.next()).containsExactlyInAnyOrder(WorkflowRunStatus.COMPLETED,
                WorkflowRunStatus.FAILED, WorkflowRunStatus.CANCELED);
        // an operator's retry of a failed step is the one way out of a finished run
        assertThat(WorkflowRunStatus.COMPLETED.next()).containsExactly(WorkflowRunStatus.RUNNING);
        assertThat(WorkflowRunStatus.FAILED.next()).containsExactly(WorkflowRunStatus.RUNNING);
        assertThat(WorkflowRunStatus.INITIAL).isEqualTo(WorkflowRunStatus.RUNNING);
        for (WorkflowRunStatus s : WorkflowRunStatus.values()) {
            assertThat(s.isFinished()).isEqualTo(s == WorkflowRunStatus.COMPLETED || s == WorkflowRunStatus.FAILED
                    || s == WorkflowRunStatus.CANCELED);
            assertThat(s.canMoveTo(s)).as("%s -> itself", s.db()).isFalse();
        }
    }

    @Test
    void settledStepsOnlyGoBackToPendingAndActiveOnesCanAlwaysBeCanceled() {
        for (StepStatus s : StepStatus.values()) {
            if (s.isSettled()) {
                assertThat(s.next()).as("a settled step (%s) only starts over", s.db()).containsExactly(StepStatus.PENDING);
            } else {
                assertThat(s.canMoveTo(StepStatus.CANCELED)).as("%s can be canceled", s.db()).isTrue();
                assertThat(s.canMoveTo(StepStatus.PENDING)).as("%s -> pending", s.db()).isFalse();
            }
        }
        assertThat(EnumSet.allOf(StepStatus.class).stream().filter(StepStatus::isActive))
                .containsExactlyInAnyOrder(StepStatus.RUNNING, StepStatus.WAITING);
        // what the engine relies on: steps start from pending, a job step's next attempt stays running,
        // nothing skips or completes without having started (a skip happens before the start)
        assertThat(StepStatus.INITIAL).isEqualTo(StepStatus.PENDING);
        assertThat(StepStatus.RUNNING.canMoveTo(StepStatus.RUNNING)).isTrue();
        assertThat(StepStatus.PENDING.canMoveTo(StepStatus.COMPLETED)).isFalse();
        assertThat(StepStatus.RUNNING.canMoveTo(StepStatus.SKIPPED)).isFalse();
        assertThat(StepStatus.WAITING.canMoveTo(StepStatus.RUNNING)).isFalse();
        assertThat(StepStatus.SKIPPED.sources()).containsExactly(StepStatus.PENDING);
    }

    @Test
    void sourcesAreTheInverseOfNext() {
        for (StepStatus from : StepStatus.values()) {
            for (StepStatus to : StepStatus.values()) {
                assertThat(to.sources().contains(from)).isEqualTo(from.canMoveTo(to));
            }
        }
        for (WorkflowRunStatus from : WorkflowRunStatus.values()) {
            for (WorkflowRunStatus to : WorkflowRunStatus.values()) {
                assertThat(to.sources().contains(from)).isEqualTo(from.canMoveTo(to));
            }
        }
    }

    // ------------------------------------------------------------------------------ the diagrams

    private static final Pattern EDGE = Pattern.compile("^\\s*(\\[\\*\\]|\\w+)\\s*-->\\s*(\\w+)\\s*(:.*)?$");

    @Test
    void theDiagramsInTheDocsAreExactlyTheTables() throws IOException {
        String doc = Files.readString(docs());
        Set<String> runTable = new TreeSet<>();
        runTable.add("[*] -> " + WorkflowRunStatus.INITIAL.db());
        for (WorkflowRunStatus from : WorkflowRunStatus.values()) {
            from.next().forEach(to -> runTable.add(from.db() + " -> " + to.db()));
        }
        Set<String> stepTable = new TreeSet<>();
        stepTable.add("[*] -> " + StepStatus.INITIAL.db());
        for (StepStatus from : StepStatus.values()) {
            from.next().forEach(to -> stepTable.add(from.db() + " -> " + to.db()));
        }
        assertThat(diagram(doc, "WorkflowRunStatus")).as("workflow run diagram in docs/workflows.md")
                .isEqualTo(runTable);
        assertThat(diagram(doc, "StepStatus")).as("step diagram in docs/workflows.md").isEqualTo(stepTable);
    }

    /** The edges of the mermaid block whose first line after the header is {@code %% <name>}. */
    private static Set<String> diagram(String doc, String name) {
        Matcher block = Pattern.compile("```mermaid\\n(stateDiagram-v2\\n\\s*%% " + name + "\\n.*?)```", Pattern.DOTALL)
                .matcher(doc);
        assertThat(block.find()).as("a mermaid stateDiagram-v2 headed %%%% %s in docs/workflows.md", name).isTrue();
        Set<String> edges = new TreeSet<>();
        for (String line : block.group(1).split("\\n")) {
            Matcher m = EDGE.matcher(line);
            if (m.matches()) {
                edges.add(m.group(1) + " -> " + m.group(2));
            }
        }
        return edges;
    }

    private static Path docs() {
        for (Path p : List.of(Path.of("../docs/workflows.md"), Path.of("docs/workflows.md"))) {
            if (Files.exists(p)) {
                return p;
            }
        }
        throw new AssertionError("docs/workflows.md not found from " + Path.of("").toAbsolutePath());
    }
}
