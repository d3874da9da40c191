package io.drover.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.client.DroverApiException;
import io.drover.client.DroverClient;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * What applying one job definition ({@code kind: job}, the fields of {@code POST /v1/jobs},
 * schedule included) would change. The fields the file names are compared with the stored job;
 * fields it leaves out keep their server values (write {@code schedule: null} to remove a
 * schedule). Jobs that apply creates carry the tag {@value #MARK}, which {@code --prune} looks for.
 */
final class JobDiff {
    /** The tag that marks what {@code drover apply} created, for {@code --prune}. */
    static final String MARK = "drover-apply";

    final String slug;
    final ObjectNode wanted;
    final JsonNode current; // null when the job does not exist yet
    final List<String> changes = new ArrayList<>();

    private JobDiff(String slug, ObjectNode wanted, JsonNode current) {
        this.slug = slug;
        this.wanted = wanted;
        this.current = current;
    }

    static JobDiff of(DroverClient client, ObjectNode definition) {
        String slug = definition.get("slug").asText();
        JsonNode current;
        try {
            current = client.send("GET", "/v1/jobs/" + JsonArgs.segment(slug), null);
        } catch (DroverApiException e) {
            if (e.httpStatus() != 404) {
                throw e;
            }
            current = null;
        }
        ObjectNode wanted = definition.deepCopy();
        if (current == null || (marked(current) && wanted.has("tags"))) {
            mark(wanted);
        }
        JobDiff d = new JobDiff(slug, wanted, current);
        d.compare();
        return d;
    }

    /** @return whether a stored job or workflow carries the mark of {@code drover apply} */
    static boolean marked(JsonNode stored) {
        for (JsonNode tag : stored.path("tags")) {
            if (MARK.equals(tag.asText())) {
                return true;
            }
        }
        return false;
    }

    /** Adds the mark to a definition's tags. */
    static void mark(ObjectNode definition) {
        JsonNode tags = definition.get("tags");
        ArrayNode list = tags instanceof ArrayNode a ? a : definition.putArray("tags");
        for (JsonNode t : list) {
            if (MARK.equals(t.asText())) {
                return;
            }
        }
        list.add(MARK);
    }

    boolean isNew() {
        return current == null;
    }

    boolean changed() {
        return isNew() || !changes.isEmpty();
    }

    private void compare() {
        if (current == null) {
            return;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = wanted.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            JsonNode have = current.get(field.getKey());
            JsonNode want = field.getValue();
            boolean same = want.isNull() ? have == null || have.isNull() : covers(have, want);
            if (!same) {
                changes.add("~ " + field.getKey() + ": " + (have == null ? NullNode.getInstance() : have) + " -> " + want);
            }
        }
    }

    /**
     * Whether the stored value already says what the file says: objects field by field (fields
     * the server adds, such as a schedule's defaults, are not compared), numbers by value, the
     * rest exactly.
     */
    static boolean covers(JsonNode have, JsonNode want) {
        if (have == null || have.isNull()) {
            return want == null || want.isNull();
        }
        if (want.isObject()) {
            if (!have.isObject()) {
                return false;
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = want.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> f = it.next();
                if (!covers(have.get(f.getKey()), f.getValue())) {
                    return false;
                }
            }
            return true;
        }
        if (want.isNumber() && have.isNumber()) {
            return want.decimalValue().compareTo(have.decimalValue()) == 0;
        }
        return want.equals(have);
    }

    /** Lines for people: a header and one line per change. */
    List<String> describe() {
        List<String> lines = new ArrayList<>();
        if (isNew()) {
            lines.add("+ job " + slug + " (new)");
        } else if (changes.isEmpty()) {
            lines.add("= job " + slug + " unchanged (version " + current.path("version").asInt() + ")");
        } else {
            int v = current.path("version").asInt();
            lines.add("~ job " + slug + " (version " + v + " -> " + (v + 1) + ")");
            changes.forEach(c -> lines.add("    " + c));
        }
        return lines;
    }
}
