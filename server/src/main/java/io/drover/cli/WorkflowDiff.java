package io.drover.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.client.DroverApiException;
import io.drover.client.DroverClient;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What applying one definition would change: the server normalizes the file's definition
 * ({@code POST /v1/workflows/validate}, which also reports any problem with it) and the stored one,
 * and the two are compared field by field and step by step.
 */
final class WorkflowDiff {
    static final List<String> FIELDS = List.of("slug", "name", "description", "steps", "policy", "output", "tags");

    final String slug;
    final ObjectNode wanted;
    final JsonNode current; // null when the workflow does not exist yet
    final List<String> changes = new ArrayList<>();

    private WorkflowDiff(String slug, ObjectNode wanted, JsonNode current) {
        this.slug = slug;
        this.wanted = wanted;
        this.current = current;
    }

    static WorkflowDiff of(DroverClient client, ObjectNode definition) {
        ObjectNode wanted = (ObjectNode) client.send("POST", "/v1/workflows/validate", definition);
        String slug = wanted.get("slug").asText();
        JsonNode current;
        try {
            current = client.send("GET", "/v1/workflows/" + JsonArgs.segment(slug), null);
        } catch (DroverApiException e) {
            if (e.httpStatus() != 404) {
                throw e;
            }
            current = null;
        }
        // What apply created keeps its mark (for --prune); a new workflow gets it.
        if (current == null || JobDiff.marked(current)) {
            JobDiff.mark(wanted);
        }
        WorkflowDiff d = new WorkflowDiff(slug, wanted, current);
        d.compare();
        return d;
    }

    boolean isNew() {
        return current == null;
    }

    boolean changed() {
        return isNew() || !changes.isEmpty();
    }

    /** The PATCH/POST body: every field, nulls included, so removed fields are removed. */
    ObjectNode body() {
        ObjectNode b = wanted.objectNode();
        for (String f : FIELDS) {
            b.set(f, wanted.has(f) ? wanted.get(f) : wanted.nullNode());
        }
        return b;
    }

    private void compare() {
        if (current == null) {
            return;
        }
        for (String f : FIELDS) {
            if (f.equals("steps")) {
                continue;
            }
            JsonNode a = norm(current.get(f));
            JsonNode b = norm(wanted.get(f));
            if (!a.equals(b)) {
                changes.add("~ " + f + ": " + a + " -> " + b);
            }
        }
        Map<String, JsonNode> before = byId(current.get("steps"));
        Map<String, JsonNode> after = byId(wanted.get("steps"));
        for (var e : after.entrySet()) {
            JsonNode old = before.get(e.getKey());
            if (old == null) {
                changes.add("+ step " + e.getKey() + ": " + e.getValue());
            } else if (!old.equals(e.getValue())) {
                List<String> fields = new ArrayList<>();
                e.getValue().fieldNames().forEachRemaining(n -> {
                    if (!norm(old.get(n)).equals(e.getValue().get(n))) {
                        fields.add(n + ": " + norm(old.get(n)) + " -> " + e.getValue().get(n));
                    }
                });
                old.fieldNames().forEachRemaining(n -> {
                    if (!e.getValue().has(n)) {
                        fields.add(n + ": " + old.get(n) + " -> (removed)");
                    }
                });
                changes.add("~ step " + e.getKey() + ": " + String.join("; ", fields));
            }
        }
        for (String id : before.keySet()) {
            if (!after.containsKey(id)) {
                changes.add("- step " + id);
            }
        }
        if (!List.copyOf(before.keySet()).equals(List.copyOf(after.keySet())) && changes.isEmpty()) {
            changes.add("~ step order: " + before.keySet() + " -> " + after.keySet());
        }
    }

    private static JsonNode norm(JsonNode n) {
        return n == null ? com.fasterxml.jackson.databind.node.NullNode.getInstance() : n;
    }

    private static Map<String, JsonNode> byId(JsonNode steps) {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        if (steps != null) {
            steps.forEach(s -> out.put(s.get("id").asText(), s));
        }
        return out;
    }

    /** Lines for people: a header and one line per change. */
    List<String> describe() {
        List<String> lines = new ArrayList<>();
        if (isNew()) {
            lines.add("+ workflow " + slug + " (new, " + wanted.get("steps").size() + " steps)");
        } else if (changes.isEmpty()) {
            lines.add("= workflow " + slug + " unchanged (version " + current.get("version").asInt() + ")");
        } else {
            lines.add("~ workflow " + slug + " (version " + current.get("version").asInt() + " -> "
                    + (current.get("version").asInt() + 1) + ")");
            changes.forEach(c -> lines.add("    " + c));
        }
        return lines;
    }
}
