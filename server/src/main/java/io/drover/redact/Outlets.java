package io.drover.redact;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.access.Principal;
import io.drover.access.Role;
import io.drover.http.Json;

/** Redaction of API answers: run fields for viewers, run events for everyone. */
public final class Outlets {
    private static final String[] RUN_FIELDS = {"payload", "metadata", "result", "error"};
    private final Redactions redactions;

    public Outlets(Redactions redactions) {
        this.redactions = redactions;
    }

    /** A viewer sees runs with payload, metadata, result and error redacted; operators and above the real data. */
    public ObjectNode run(Principal caller, ObjectNode run) {
        if (caller == null || caller.role() != Role.VIEWER) {
            return run;
        }
        return fields(redactions.forProject(caller.projectId()), run, RUN_FIELDS);
    }

    /** A run's tool call: input, output and error redacted for viewers, as a run's payload is. */
    public ObjectNode toolCall(Principal caller, ObjectNode call) {
        if (caller == null || caller.role() != Role.VIEWER) {
            return call;
        }
        return fields(redactions.forProject(caller.projectId()), call, "input", "output", "error");
    }

    /** Run events (messages and data) leave redacted for every reader. */
    public ObjectNode event(Principal caller, ObjectNode event) {
        Redactor r = redactions.forProject(caller == null ? null : caller.projectId());
        ObjectNode out = fields(r, event, "data");
        JsonNode msg = out.get("message");
        if (msg != null && msg.isTextual()) {
            out.put("message", r.redactText(msg.textValue()));
        }
        return out;
    }

    private static ObjectNode fields(Redactor r, ObjectNode node, String... names) {
        // Re-read: stored JSON is embedded raw, and redaction needs the tree.
        ObjectNode copy = (ObjectNode) Json.read(Json.write(node));
        for (String f : names) {
            JsonNode v = copy.get(f);
            if (v != null && !v.isNull()) {
                copy.set(f, r.redact(v));
            }
        }
        return copy;
    }
}
