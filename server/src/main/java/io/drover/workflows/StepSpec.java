package io.drover.workflows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.http.ApiError;
import io.drover.http.Input;
import io.drover.http.Json;
import io.drover.jobs.RetryPolicy;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/** One step of a workflow definition, as parsed and validated from its JSON. */
public record StepSpec(
        String id, String type, List<String> dependsOn, String job, JsonNode payload, Condition condition,
        JsonNode conditionJson, String onFailure, int maxAttempts, long retryDelayMs, Integer timeoutSecs,
        String concurrencyKey, String eventKey, Integer durationSecs, Instant until, String workflow,
        Integer expiresInSecs, Compensation compensate, RetryPolicy retryPolicy) {

    /** The job retry policy's fields, which a step's {@code retry} also takes. */
    static final Set<String> POLICY_FIELDS = Set.of("strategy", "initial_delay_ms", "max_delay_ms", "delays_ms",
            "jitter");

    /**
     * The delay before the step's next attempt after attempt {@code attempt} (1-based) ended: its
     * retry policy's when it has one, else the fixed {@code delay_ms}.
     */
    public long retryDelay(int attempt) {
        return retryPolicy != null ? retryPolicy.delayMs(attempt) : retryDelayMs;
    }

    public static final Set<String> TYPES = Set.of("job", "approval", "wait_for_event", "sleep", "sub_workflow");
    public static final Set<String> ON_FAILURE = Set.of("fail_workflow", "skip_dependents", "continue", "compensate");
    static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    static final Set<String> FIELDS = Set.of("id", "type", "depends_on", "job", "payload", "condition", "on_failure",
            "retry", "timeout_secs", "concurrency_key", "event_key", "duration_secs", "until", "workflow",
            "expires_in_secs", "compensate");

    /** The job that undoes a completed step when a later failure compensates. */
    public record Compensation(String job, JsonNode payload) {}

    public static StepSpec parse(JsonNode node, String where) {
        Input in = Input.of(node, where);
        in.allowOnly(FIELDS);
        String id = in.requiredString("id", 64);
        if (!ID.matcher(id).matches()) {
            throw ApiError.invalid(where + ".id", "must match [A-Za-z0-9_-]{1,64}");
        }
        String type = in.oneOf("type", "job", TYPES);
        List<String> deps = in.strings("depends_on", 1000, 64);
        String job = in.string("job", null, 100);
        JsonNode condJson = in.get("condition");
        Condition cond = null;
        if (condJson != null) {
            try {
                cond = Condition.parse(condJson, where + ".condition");
            } catch (IllegalArgumentException e) {
                throw new ApiError(422, "invalid_condition", e.getMessage(), java.util.Map.of("field", where + ".condition"));
            }
        }
        int maxAttempts = 1;
        long delayMs = 0;
        RetryPolicy policy = null;
        ObjectNode retry = in.object("retry");
        if (retry != null) {
            Input r = Input.of(retry, where + ".retry");
            Set<String> allowed = new java.util.HashSet<>(POLICY_FIELDS);
            allowed.add("max_attempts");
            allowed.add("delay_ms");
            r.allowOnly(allowed);
            maxAttempts = r.intValue("max_attempts", 1, 1, 100);
            delayMs = r.longValue("delay_ms", 0L, 0, 24L * 3600 * 1000);
            if (POLICY_FIELDS.stream().anyMatch(r::has)) {
                if (r.has("delay_ms")) {
                    throw ApiError.invalid(r.name("delay_ms"), "give delay_ms or the retry policy's fields "
                            + "(strategy, initial_delay_ms, max_delay_ms, delays_ms, jitter), not both");
                }
                // The job retry policy's own parsing and validation, on the policy's fields only.
                ObjectNode fields = retry.deepCopy();
                fields.remove("max_attempts");
                policy = RetryPolicy.parse(Input.of(fields, where + ".retry"));
            }
        }
        Compensation comp = null;
        ObjectNode c = in.object("compensate");
        if (c != null) {
            Input ci = Input.of(c, where + ".compensate");
            ci.allowOnly(Set.of("job", "payload"));
            comp = new Compensation(ci.requiredString("job", 100), c.get("payload"));
        }
        StepSpec s = new StepSpec(id, type, deps == null ? List.of() : List.copyOf(deps), job, in.get("payload"), cond,
                condJson, in.oneOf("on_failure", "fail_workflow", ON_FAILURE), maxAttempts, delayMs,
                in.intValue("timeout_secs", null, 1, 366 * 24 * 3600), in.string("concurrency_key", null, 255),
                in.string("event_key", null, 255), in.intValue("duration_secs", null, 0, 366 * 24 * 3600),
                in.instant("until"), in.string("workflow", null, 100),
                in.intValue("expires_in_secs", null, 1, 366 * 24 * 3600), comp, policy);
        s.checkType(where);
        return s;
    }

    private void checkType(String where) {
        switch (type) {
            case "job" -> require(job != null, where + ".job", "is required for a job step");
            case "wait_for_event" -> require(eventKey != null && !eventKey.isBlank(), where + ".event_key",
                    "is required for a wait_for_event step");
            case "sleep" -> require((durationSecs != null) != (until != null), where + ".duration_secs",
                    "a sleep step needs duration_secs or until (one of them)");
            case "sub_workflow" -> require(workflow != null, where + ".workflow", "is required for a sub_workflow step");
            default -> { }
        }
        if (!type.equals("job")) {
            require(job == null, where + ".job", "only job steps name a job");
            require(maxAttempts == 1 && retryPolicy == null, where + ".retry", "only job steps are retried");
        }
    }

    private static void require(boolean ok, String field, String message) {
        if (!ok) {
            throw ApiError.invalid(field, message);
        }
    }

    public ObjectNode toJson() {
        ObjectNode n = Json.object();
        n.put("id", id);
        n.put("type", type);
        dependsOn.forEach(n.putArray("depends_on")::add);
        putIf(n, "job", job);
        if (payload != null) {
            n.set("payload", payload);
        }
        if (conditionJson != null) {
            n.set("condition", conditionJson);
        }
        n.put("on_failure", onFailure);
        if (retryPolicy != null) {
            n.putObject("retry").put("max_attempts", maxAttempts).setAll(retryPolicy.toJson());
        } else if (maxAttempts > 1 || retryDelayMs > 0) {
            n.putObject("retry").put("max_attempts", maxAttempts).put("delay_ms", retryDelayMs);
        }
        if (timeoutSecs != null) {
            n.put("timeout_secs", timeoutSecs);
        }
        putIf(n, "concurrency_key", concurrencyKey);
        putIf(n, "event_key", eventKey);
        if (durationSecs != null) {
            n.put("duration_secs", durationSecs);
        }
        putIf(n, "until", until == null ? null : until.toString());
        putIf(n, "workflow", workflow);
        if (expiresInSecs != null) {
            n.put("expires_in_secs", expiresInSecs);
        }
        if (compensate != null) {
            ObjectNode c = n.putObject("compensate").put("job", compensate.job());
            if (compensate.payload() != null) {
                c.set("payload", compensate.payload());
            }
        }
        return n;
    }

    private static void putIf(ObjectNode n, String f, String v) {
        if (v != null) {
            n.put(f, v);
        }
    }
}
