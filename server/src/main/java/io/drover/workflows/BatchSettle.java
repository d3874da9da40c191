package io.drover.workflows;

import io.drover.runs.RunSettledHook.Settled;
import io.drover.runs.RunStatus;
import io.drover.store.Query;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Settles the job runs of one batch (a completion report) for one workflow run, inside its
 * {@link Advance}: consecutive completions of job steps are settled together, with one statement
 * each for the steps, the steps left and the dependents' fan-in counters, so that a 400-wide
 * fan-out's branches finishing in batches of 100 cost a few statements, not 400 passes.
 */
final class BatchSettle {
    private final Advance a;

    BatchSettle(Advance a) {
        this.a = a;
    }

    /**
     * The job runs of a batch settled (one completion report, say), in its order. Consecutive
     * completions of job steps are settled together ({@link #completedTogether}); anything else
     * (a failure, a retry, a compensation) goes through {@link Advance#runDone} one at a time, in place.
     */
    void runsDone(List<Settled> settled) throws SQLException {
        List<Settled> together = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        for (Settled s : settled) {
            if (s.status() == RunStatus.COMPLETED && !Compensation.isCompensation(s.stepId())) {
                if (!ids.add(s.stepId())) { // the same step twice: the second sees the first settled
                    completedTogether(together);
                    ids.clear();
                    ids.add(s.stepId());
                }
                together.add(s);
            } else {
                completedTogether(together);
                ids.clear();
                a.runDone(s.stepId(), s.runId(), s.status(), s.result(), s.error());
            }
        }
        completedTogether(together);
    }

    /**
     * What {@link Advance#runDone} does for completed runs, for several steps at once: one read of their
     * rows, one statement that settles them, one for the steps left, one for their dependents'
     * counters (a join gets +n at once), and the same decisions in the same order. Dependents that
     * became ready are queued in the order the one-by-one path would have queued them.
     */
    private void completedTogether(List<Settled> batch) throws SQLException {
        if (batch.size() <= 1) {
            for (Settled s : batch) {
                a.runDone(s.stepId(), s.runId(), s.status(), s.result(), s.error());
            }
            batch.clear();
            return;
        }
        List<Settled> todo = List.copyOf(batch);
        batch.clear();
        if (!a.active()) {
            return;
        }
        Map<String, StepRun> rows = new HashMap<>();
        try (Query q = Rows.SQL.prepare(a.c, "get_steps")) {
            q.set("run_id", a.run.id()).setArray("step_ids", "text", todo.stream().map(Settled::stepId).toArray());
            try (ResultSet rs = q.query()) {
                while (rs.next()) {
                    StepRun st = StepRun.map(rs);
                    rows.put(st.stepId(), st);
                }
            }
        }
        List<String> ids = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        for (Settled s : todo) {
            StepRun st = rows.get(s.stepId());
            if (st == null || st.status() != StepStatus.RUNNING || !s.runId().equals(st.runId())) {
                continue; // a run the step no longer waits for (canceled, timed out, replaced by a retry)
            }
            ids.add(s.stepId());
            outputs.add(s.result() == null ? "null" : s.result());
            a.decide(s.stepId(), "completed", "completed: run " + s.runId() + " finished", null);
        }
        if (ids.isEmpty()) {
            return;
        }
        StatusWrites.completeSteps(a.c, a.run.id(), ids, outputs);
        a.countOff(ids.size());
        if (ids.stream().anyMatch(id -> a.g.step(id).concurrencyKey() != null)) {
            a.e.wakeTimers(); // a key may be free: blocked steps of any run can go
        }
        // Each dependent's bump count, and the position of the last settled step that bumps it:
        // one by one, a dependent became ready at that step's bump.
        Map<String, Integer> counts = new LinkedHashMap<>();
        Map<String, Integer> last = new HashMap<>();
        for (int i = 0; i < ids.size(); i++) {
            for (String d : a.g.dependents(ids.get(i))) {
                counts.merge(d, 1, Integer::sum);
                last.put(d, i);
            }
        }
        if (counts.isEmpty()) {
            return;
        }
        record Ready(String id, boolean blocked, int at) {}
        List<Ready> ready = new ArrayList<>();
        try (Query q = Rows.SQL.prepare(a.c, "advance_dependents_by")) {
            q.set("run_id", a.run.id()).setArray("step_ids", "text", counts.keySet().toArray())
                    .setArray("counts", "int4", counts.values().toArray());
            try (ResultSet rs = q.query()) {
                while (rs.next()) {
                    if (rs.getInt(2) == rs.getInt(3)) {
                        ready.add(new Ready(rs.getString(1), rs.getInt(4) > 0, last.get(rs.getString(1))));
                    }
                }
            }
        }
        ready.sort(Comparator.comparingInt(Ready::at));
        for (Ready r : ready) {
            a.enqueueReady(r.id(), r.blocked());
        }
    }
}
