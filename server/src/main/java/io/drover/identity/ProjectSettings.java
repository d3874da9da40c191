package io.drover.identity;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.http.Input;
import java.time.DateTimeException;
import java.time.ZoneId;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Validates project settings: {@code retention_days}, {@code audit_retention_days} (absent: the
 * audit log is kept forever), {@code timezone} and {@code redaction}
 * ({@code keys}: more field names to hide, {@code patterns}: regular expressions whose matches are
 * hidden). A PATCH replaces the top-level fields it names and keeps the others.
 */
public final class ProjectSettings {
    private ProjectSettings() {}

    public static ObjectNode merge(JsonNode current, JsonNode patch) {
        Input in = Input.of(patch, "settings");
        in.allowOnly(Set.of("retention_days", "audit_retention_days", "timezone", "redaction"));
        ObjectNode out = current != null && current.isObject() ? ((ObjectNode) current).deepCopy()
                : io.drover.http.Json.object();
        if (in.raw().has("retention_days")) {
            out.put("retention_days", in.intValue("retention_days", null, 1, 3650));
        }
        if (in.raw().has("audit_retention_days")) {
            // null removes it: the audit log is kept forever again
            Integer days = in.intValue("audit_retention_days", null, 1, 36500);
            if (days == null) {
                out.remove("audit_retention_days");
            } else {
                out.put("audit_retention_days", days);
            }
        }
        if (in.raw().has("timezone")) {
            String tz = in.string("timezone", null, 64);
            try {
                if (tz != null) {
                    ZoneId.of(tz);
                }
            } catch (DateTimeException e) {
                throw new io.drover.errors.Invalid("settings.timezone", "is not a time zone id such as Europe/Paris");
            }
            out.put("timezone", tz);
        }
        if (in.raw().has("redaction")) {
            ObjectNode r = in.object("redaction");
            if (r == null) {
                out.remove("redaction");
            } else {
                Input rin = Input.of(r, "settings.redaction");
                rin.allowOnly(Set.of("keys", "patterns"));
                List<String> keys = rin.strings("keys", 50, 100);
                List<String> patterns = rin.strings("patterns", 20, 200);
                if (patterns != null) {
                    for (String p : patterns) {
                        try {
                            Pattern.compile(p);
                        } catch (PatternSyntaxException e) {
                            throw new io.drover.errors.Invalid("settings.redaction.patterns", "not a valid regular expression: "
                                    + e.getDescription());
                        }
                    }
                }
                ObjectNode clean = out.putObject("redaction");
                var k = clean.putArray("keys");
                (keys == null ? List.<String>of() : keys).forEach(k::add);
                var p = clean.putArray("patterns");
                (patterns == null ? List.<String>of() : patterns).forEach(p::add);
            }
        }
        return out;
    }
}
