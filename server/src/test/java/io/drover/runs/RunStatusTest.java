package io.drover.runs;

import static io.drover.runs.RunStatus.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The transition table in {@link RunStatus} is exactly the one of BRIEF.md ("Run state machine"). */
class RunStatusTest {
    /**
     * The list copied verbatim from BRIEF.md. Parsing the prose (rather than re-typing it as Java)
     * keeps this test a faithful copy: parentheses are explanations, "or" and "," separate targets.
     */
    static final String BRIEF = """
            - delayed → queued (time reached), canceled, expired
            - queued → executing (a worker's claim), dequeued (taken by the HTTP push dispatcher, before the
              request is sent), canceled, expired
            - dequeued → executing, queued (given back), canceled, system_failed
            - executing → completed, failed, timed_out, crashed, canceled, waiting, queued or delayed (retry),
              dead_letter (attempts used up), system_failed
            - waiting → executing, completed, failed, canceled, timed_out, queued (an event wait ends: issue 18)
            - dead_letter → queued (replay)
            """;

    static final Set<RunStatus> BRIEF_TERMINAL =
            EnumSet.of(COMPLETED, FAILED, TIMED_OUT, CRASHED, SYSTEM_FAILED, CANCELED, EXPIRED);

    /** BRIEF.md's transitions as a map from each state to its legal next states. */
    static Map<RunStatus, Set<RunStatus>> briefTable() {
        Map<RunStatus, Set<RunStatus>> table = new EnumMap<>(RunStatus.class);
        String joined = BRIEF.replaceAll("\\n\\s+(?!- )", " ");
        for (String line : joined.split("\\n")) {
            if (!line.startsWith("- ")) {
                continue;
            }
            String[] sides = line.substring(2).split("→");
            RunStatus from = RunStatus.parse(sides[0].strip());
            assertThat(from).as("state in BRIEF line: %s", line).isNotNull();
            Set<RunStatus> to = EnumSet.noneOf(RunStatus.class);
            String targets = sides[1].replaceAll("\\([^)]*\\)", "");
            for (String t : targets.split(",|\\bor\\b")) {
                RunStatus s = RunStatus.parse(t.strip());
                assertThat(s).as("target '%s' in BRIEF line: %s", t.strip(), line).isNotNull();
                to.add(s);
            }
            table.put(from, to);
        }
        return table;
    }

    @Test
    void theBriefListParsesToTheExpectedShape() {
        Map<RunStatus, Set<RunStatus>> brief = briefTable();
        assertThat(brief.keySet()).containsExactlyInAnyOrder(DELAYED, QUEUED, DEQUEUED, EXECUTING, WAITING, DEAD_LETTER);
        assertThat(brief.values().stream().mapToInt(Set::size).sum()).isEqualTo(3 + 4 + 4 + 10 + 6 + 1);
    }

    @Test
    void everyStatesNextStatesAreExactlyTheBriefs() {
        Map<RunStatus, Set<RunStatus>> brief = briefTable();
        for (RunStatus s : RunStatus.values()) {
            Set<RunStatus> expected = brief.getOrDefault(s, Set.of());
            assertThat(s.next()).as("legal next states of %s", s.db()).containsExactlyInAnyOrderElementsOf(expected);
            for (RunStatus t : RunStatus.values()) {
                assertThat(s.canMoveTo(t)).as("%s -> %s", s.db(), t.db()).isEqualTo(expected.contains(t));
            }
        }
    }

    @Test
    void thirteenStatesAndTheTerminalSet() {
        assertThat(RunStatus.values()).hasSize(13);
        for (RunStatus s : RunStatus.values()) {
            assertThat(s.isTerminal()).as("%s terminal", s.db()).isEqualTo(BRIEF_TERMINAL.contains(s));
            if (s.isTerminal()) {
                assertThat(s.next()).as("a terminal state has no way out: %s", s.db()).isEmpty();
            }
        }
    }

    @Test
    void deadLetterIsNotTerminalButSettledAndCanOnlyBeReplayed() {
        assertThat(DEAD_LETTER.isTerminal()).isFalse();
        assertThat(DEAD_LETTER.isSettled()).isTrue();
        assertThat(DEAD_LETTER.next()).containsExactly(QUEUED);
        assertThat(DEAD_LETTER.canMoveTo(CANCELED)).isFalse();
    }

    @Test
    void cancelableStatesAreTheLiveOnes() {
        assertThat(RunStatus.cancelable()).containsExactlyInAnyOrder(DELAYED, QUEUED, DEQUEUED, EXECUTING, WAITING);
    }

    @Test
    void namesRoundTripThroughTheirLowerCaseForm() {
        for (RunStatus s : RunStatus.values()) {
            assertThat(RunStatus.parse(s.db())).isEqualTo(s);
            assertThat(RunStatus.fromDb(s.db())).isEqualTo(s);
        }
        assertThat(RunStatus.parse("QUEUED")).isNull();
        assertThat(RunStatus.parse("paused")).isNull();
    }
}
