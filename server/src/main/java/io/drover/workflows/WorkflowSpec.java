package io.drover.workflows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.http.ApiError;
import io.drover.http.Input;
import io.drover.http.Json;
import io.drover.jobs.JobSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A workflow definition: slug, steps, policy and an optional output template. Parsing checks each
 * field; {@link Graph} checks the shape (references, cycles, templates, policy). A parsed spec is
 * immutable and, once stored as a version, never changes.
 */
public record WorkflowSpec(String slug, String name, String description, List<StepSpec> steps, Policy policy,
        JsonNode output, List<String> tags) {

    /** The hard ceiling on steps per workflow, whatever the policy says. */
    public static final int MAX_STEPS = 1000;
    static final Set<String> FIELDS = Set.of("slug", "name", "description", "steps", "policy", "output",
            "tags");

    /** Governance limits: direct dependents of one step, longest dependency chain, number of steps. */
    public record Policy(int maxFanOut, int maxDepth, int maxSteps) {
        static final Policy DEFAULT = new Policy(MAX_STEPS, MAX_STEPS, MAX_STEPS);

        ObjectNode toJson() {
            return Json.object().put("max_fan_out", maxFanOut).put("max_depth", maxDepth).put("max_steps", maxSteps);
        }
    }

    public static WorkflowSpec parse(JsonNode body) {
        Input in = Input.body(body, false);
        in.allowOnly(FIELDS);
        String slug = in.requiredString("slug", 100);
        if (!JobSpec.SLUG.matcher(slug).matches()) {
            throw ApiError.invalid("slug", "must match [a-z0-9][a-z0-9_-]{0,99}");
        }
        JsonNode stepsNode = in.get("steps");
        if (stepsNode == null) {
            throw ApiError.invalid("steps", "is required");
        }
        if (!stepsNode.isArray()) {
            throw ApiError.wrongType("steps", "an array of steps");
        }
        if (stepsNode.isEmpty()) {
            throw ApiError.invalid("steps", "a workflow needs at least one step");
        }
        if (stepsNode.size() > MAX_STEPS) {
            throw new ApiError(422, "policy_violation", "a workflow has at most " + MAX_STEPS + " steps, this one has "
                    + stepsNode.size(), Map.of("field", "steps", "limit", MAX_STEPS));
        }
        Policy policy = Policy.DEFAULT;
        ObjectNode p = in.object("policy");
        if (p != null) {
            Input pi = Input.of(p, "policy");
            pi.allowOnly(Set.of("max_fan_out", "max_depth", "max_steps"));
            policy = new Policy(pi.intValue("max_fan_out", MAX_STEPS, 1, MAX_STEPS),
                    pi.intValue("max_depth", MAX_STEPS, 1, MAX_STEPS), pi.intValue("max_steps", MAX_STEPS, 1, MAX_STEPS));
        }
        List<StepSpec> steps = new ArrayList<>();
        for (int i = 0; i < stepsNode.size(); i++) {
            steps.add(StepSpec.parse(stepsNode.get(i), "steps[" + i + "]"));
        }
        WorkflowSpec spec = new WorkflowSpec(slug, in.string("name", slug, 200), in.string("description", null, 2000),
                List.copyOf(steps), policy, in.get("output"),
                // Free-form, like a job's; `drover apply` marks what it creates with one (for --prune).
                in.raw().hasNonNull("tags") ? List.copyOf(in.strings("tags", 50, 100)) : List.of());
        Graph.of(spec); // validates the shape; cached per version by the store
        return spec;
    }

    public ObjectNode toJson() {
        ObjectNode n = Json.object();
        n.put("slug", slug);
        n.put("name", name);
        n.put("description", description);
        var arr = n.putArray("steps");
        steps.forEach(s -> arr.add(s.toJson()));
        n.set("policy", policy.toJson());
        if (output != null) {
            n.set("output", output);
        }
        if (!tags.isEmpty()) {
            var t = n.putArray("tags");
            tags.forEach(t::add);
        }
        return n;
    }

    public static WorkflowSpec fromStored(JsonNode stored) {
        return parse(stored);
    }
}
