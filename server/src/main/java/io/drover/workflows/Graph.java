package io.drover.workflows;

import io.drover.http.ApiError;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The dependency graph of a definition, checked and indexed once per version: dependents of each
 * step (to advance counters), the root steps, and which steps are upstream of which (templates and
 * conditions may only read upstream outputs). Each problem is a 422 that names it: the cycle with
 * its path, the unknown step, the bad template, the policy limit and the step that breaks it.
 */
public final class Graph {
    private final WorkflowSpec spec;
    private final Map<String, StepSpec> byId = new LinkedHashMap<>();
    private final Map<String, Integer> index = new HashMap<>();
    private final Map<String, List<String>> dependents = new HashMap<>();
    private final List<String> roots = new ArrayList<>();
    private final List<String> leaves = new ArrayList<>();
    private BitSet[] ancestors;

    private Graph(WorkflowSpec spec) {
        this.spec = spec;
    }

    public static Graph of(WorkflowSpec spec) {
        Graph g = new Graph(spec);
        g.build();
        return g;
    }

    public WorkflowSpec spec() {
        return spec;
    }

    public StepSpec step(String id) {
        return byId.get(id);
    }

    public List<String> dependents(String id) {
        return dependents.getOrDefault(id, List.of());
    }

    public List<String> roots() {
        return roots;
    }

    public List<String> leaves() {
        return leaves;
    }

    /** Every step downstream of {@code id} (not including it), in definition order. */
    public List<String> descendants(String id) {
        int i = index.get(id);
        List<String> out = new ArrayList<>();
        for (StepSpec s : spec.steps()) {
            if (ancestors[index.get(s.id())].get(i)) {
                out.add(s.id());
            }
        }
        return out;
    }

    private void build() {
        List<StepSpec> steps = spec.steps();
        if (steps.size() > spec.policy().maxSteps()) {
            throw policy("workflow has " + steps.size() + " steps; policy max_steps is " + spec.policy().maxSteps(),
                    "steps");
        }
        for (int i = 0; i < steps.size(); i++) {
            StepSpec s = steps.get(i);
            if (byId.put(s.id(), s) != null) {
                throw ApiError.invalid("steps[" + i + "].id", "duplicate step id '" + s.id() + "'");
            }
            index.put(s.id(), i);
        }
        for (int i = 0; i < steps.size(); i++) {
            StepSpec s = steps.get(i);
            for (String d : s.dependsOn()) {
                if (!byId.containsKey(d)) {
                    throw new ApiError(422, "unknown_step", "step '" + s.id() + "' depends on unknown step '" + d + "'",
                            Map.of("field", "steps[" + i + "].depends_on", "step", s.id(), "unknown", d));
                }
                if (d.equals(s.id())) {
                    throw cycle(List.of(d, d));
                }
                dependents.computeIfAbsent(d, k -> new ArrayList<>()).add(s.id());
            }
            if (s.dependsOn().isEmpty()) {
                roots.add(s.id());
            }
        }
        for (StepSpec s : steps) {
            if (!dependents.containsKey(s.id())) {
                leaves.add(s.id());
            }
            int fanOut = dependents(s.id()).size();
            if (fanOut > spec.policy().maxFanOut()) {
                throw policy("step '" + s.id() + "' has " + fanOut + " direct dependents; policy max_fan_out is "
                        + spec.policy().maxFanOut(), "steps[" + index.get(s.id()) + "]");
            }
        }
        List<String> order = topoOrder();
        ancestors = new BitSet[steps.size()];
        Map<String, Integer> depth = new HashMap<>();
        for (String id : order) {
            BitSet a = new BitSet(steps.size());
            int d = 1;
            for (String dep : byId.get(id).dependsOn()) {
                a.set(index.get(dep));
                a.or(ancestors[index.get(dep)]);
                d = Math.max(d, depth.get(dep) + 1);
            }
            ancestors[index.get(id)] = a;
            depth.put(id, d);
            if (d > spec.policy().maxDepth()) {
                throw policy("step '" + id + "' is at depth " + d + "; policy max_depth is " + spec.policy().maxDepth(),
                        "steps[" + index.get(id) + "]");
            }
        }
        for (int i = 0; i < steps.size(); i++) {
            checkReferences(steps.get(i), i);
        }
        try {
            for (String path : Template.paths(spec.output())) {
                if (Template.stepOf(path) != null && !byId.containsKey(Template.stepOf(path))) {
                    throw new IllegalArgumentException("output refers to unknown step '" + Template.stepOf(path) + "'");
                }
            }
        } catch (IllegalArgumentException e) {
            throw new ApiError(422, "invalid_template", e.getMessage(), Map.of("field", "output"));
        }
    }

    /** Kahn's algorithm; whatever is left over lies on a cycle, which is then walked to name it. */
    private List<String> topoOrder() {
        Map<String, Integer> indegree = new HashMap<>();
        byId.values().forEach(s -> indegree.put(s.id(), s.dependsOn().size()));
        ArrayDeque<String> ready = new ArrayDeque<>(roots);
        List<String> order = new ArrayList<>();
        while (!ready.isEmpty()) {
            String id = ready.poll();
            order.add(id);
            for (String d : dependents(id)) {
                if (indegree.merge(d, -1, Integer::sum) == 0) {
                    ready.add(d);
                }
            }
        }
        if (order.size() < byId.size()) {
            String start = byId.keySet().stream().filter(id -> indegree.get(id) > 0).findFirst().orElseThrow();
            List<String> path = new ArrayList<>();
            Map<String, Integer> seen = new HashMap<>();
            String cur = start;
            while (!seen.containsKey(cur)) {
                seen.put(cur, path.size());
                path.add(cur);
                String next = null;
                for (String dep : byId.get(cur).dependsOn()) {
                    if (indegree.get(dep) > 0) {
                        next = dep;
                        break;
                    }
                }
                cur = next;
            }
            List<String> cycle = new ArrayList<>(path.subList(seen.get(cur), path.size()));
            java.util.Collections.reverse(cycle);
            cycle.add(cycle.get(0));
            throw cycle(cycle);
        }
        return order;
    }

    private static ApiError cycle(List<String> cycle) {
        return new ApiError(422, "cycle", "steps form a cycle: " + String.join(" -> ", cycle),
                Map.of("field", "steps", "cycle", cycle));
    }

    private static ApiError policy(String message, String field) {
        return new ApiError(422, "policy_violation", message, Map.of("field", field));
    }

    private void checkReferences(StepSpec s, int i) {
        String where = "steps[" + i + "]";
        List<String> paths = new ArrayList<>();
        List<String> own = new ArrayList<>();
        try {
            paths.addAll(Template.paths(s.payload()));
            if (s.eventKey() != null) {
                paths.addAll(Template.pathsIn(s.eventKey()));
            }
            if (s.concurrencyKey() != null) {
                paths.addAll(Template.pathsIn(s.concurrencyKey()));
            }
            if (s.compensate() != null) {
                own.addAll(Template.paths(s.compensate().payload()));
            }
        } catch (IllegalArgumentException e) {
            throw new ApiError(422, "invalid_template", "step '" + s.id() + "': " + e.getMessage(),
                    Map.of("field", where, "step", s.id()));
        }
        if (s.condition() != null) {
            paths.addAll(s.condition().paths());
        }
        BitSet up = ancestors[i];
        paths.addAll(own);
        for (String path : paths) {
            String ref = Template.stepOf(path);
            if (ref == null || (ref.equals(s.id()) && own.contains(path))) {
                continue;
            }
            if (!byId.containsKey(ref)) {
                throw new ApiError(422, "invalid_template", "step '" + s.id() + "' refers to unknown step '" + ref
                        + "' in {{" + path + "}}", Map.of("field", where, "step", s.id(), "unknown", ref));
            }
            if (!up.get(index.get(ref))) {
                throw new ApiError(422, "invalid_template", "step '" + s.id() + "' reads {{" + path + "}} but '" + ref
                        + "' is not upstream of it; add it to depends_on", Map.of("field", where, "step", s.id()));
            }
        }
    }
}
