package io.drover.workflows;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** Turns step states and the decision log into sentences a person can read. */
final class Explain {
    private Explain() {}

    static String summary(WorkflowRun r, List<StepRun> steps) {
        Map<String, List<String>> by = new TreeMap<>();
        steps.forEach(s -> by.computeIfAbsent(s.status().db(), k -> new java.util.ArrayList<>()).add(s.stepId()));
        String counts = by.entrySet().stream()
                .map(e -> e.getValue().size() + " " + e.getKey() + (e.getValue().size() <= 5 ? " " + e.getValue() : ""))
                .collect(Collectors.joining(", "));
        String head = switch (r.status()) {
            case COMPLETED -> "The run completed.";
            case CANCELED -> "The run was canceled.";
            case FAILED -> "The run failed" + (r.error() == null ? "." : ": " + io.drover.http.Json.read(r.error())
                    .path("message").asText() + ".");
            default -> r.compensating() ? "The run is compensating completed steps after a failure."
                    : "The run is in progress.";
        };
        return head + " Steps: " + counts + ".";
    }

    static String step(StepRun s, StepSpec spec, List<ObjectNode> decisions) {
        String last = decisions.isEmpty() ? null : decisions.get(decisions.size() - 1).path("message").asText();
        return switch (s.status()) {
            case PENDING -> s.blocked() ? "Ready, but blocked: concurrency key '" + s.concurrencyKey()
                    + "' is held by another step."
                    : "Waiting for " + (s.depsTotal() - s.depsDone()) + " of " + s.depsTotal()
                    + " dependencies " + spec.dependsOn() + " to settle.";
            case WAITING -> switch (s.type()) {
                case "approval" -> "Waiting for approval" + (s.dueAt() == null ? "." : " until " + s.dueAt() + ".");
                case "wait_for_event" -> "Waiting for an event" + (last == null ? "." : ": " + last + ".");
                default -> "Sleeping until " + s.dueAt() + ".";
            };
            case RUNNING -> s.type().equals("sub_workflow") ? "Running sub-workflow run " + s.childRunId() + "."
                    : "Running: attempt " + s.attempt() + " of " + spec.maxAttempts() + ", run " + s.runId() + ".";
            default -> capitalize(last == null ? s.status().db() : last) + ".";
        };
    }

    private static String capitalize(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }
}
