package io.drover.workflows;

import io.drover.errors.Conflict;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which steps an operator's retry of a failed step starts over, and the fan-in counters each gets:
 * the step, everything downstream of it, and every step canceled when the run failed (with what is
 * downstream of those). A pure function of the graph and the step runs, so it can be read alone.
 */
record RetryPlan(Map<String, Counters> reset, int settledBefore) {

    /** A reset step's counters: dependencies already settled, and those among them that skip it. */
    record Counters(int depsDone, int depsBlocked, int depsTotal) {
        boolean ready() {
            return depsDone == depsTotal;
        }
    }

    static RetryPlan of(Graph g, List<StepRun> steps, String stepId) {
        Map<String, StepRun> byId = new HashMap<>();
        steps.forEach(s -> byId.put(s.stepId(), s));
        Set<String> ids = new LinkedHashSet<>();
        ids.add(stepId);
        ids.addAll(g.descendants(stepId));
        for (StepRun s : steps) {
            if (s.status() == StepStatus.CANCELED) {
                ids.add(s.stepId());
                ids.addAll(g.descendants(s.stepId()));
            }
        }
        Map<String, Counters> reset = new LinkedHashMap<>();
        int settled = 0;
        for (String id : ids) {
            StepRun current = byId.get(id);
            if (current.isActive()) {
                throw new Conflict("step_active", "step '" + id + "', downstream of '" + stepId + "', is still "
                        + current.status().db() + "; retry once it has settled", Map.of("step_id", id));
            }
            settled += current.status() == StepStatus.PENDING ? 0 : 1;
            int done = 0;
            int blocked = 0;
            for (String dep : g.step(id).dependsOn()) {
                StepRun d = byId.get(dep);
                if (ids.contains(dep) || d.status() == StepStatus.PENDING || d.isActive()) {
                    continue;
                }
                done++;
                boolean skipsMe = d.status() == StepStatus.SKIPPED && "upstream".equals(d.skipReason())
                        || d.status() == StepStatus.FAILED && g.step(dep).onFailure().equals("skip_dependents");
                blocked += skipsMe ? 1 : 0;
            }
            reset.put(id, new Counters(done, blocked, g.step(id).dependsOn().size()));
        }
        return new RetryPlan(reset, settled);
    }
}
