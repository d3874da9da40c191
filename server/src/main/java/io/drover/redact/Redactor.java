package io.drover.redact;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.drover.http.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One project's redaction rules: field names that hide their whole value (matched as
 * case-insensitive substrings, so {@code db_password} and {@code X-Api-Key} are caught) and value
 * patterns that hide only the match (card numbers by default: digit runs that stand alone and pass
 * Luhn, so that ids and timestamps survive). Applied wherever data leaves for a human or a log;
 * workers and HTTP push get the real values.
 */
public final class Redactor {
    public static final String MASK = "[REDACTED]";
    public static final List<String> DEFAULT_KEYS = List.of("password", "passwd", "secret", "token",
            "authorization", "api_key", "apikey", "api-key", "cookie", "card_number", "cardnumber");
    /**
     * A card number stands alone: no letter, digit, underscore, dot or dash right before or after it.
     * Luhn alone does not keep ids intact: one digit run in ten passes it, and the hex of a UUID often
     * holds such a run ({@code 01a25085-2460-7618-8ea3-...} has {@code 25085-2460-7618-8}), which was
     * masked in the middle of the id (a webhook's {@code run_id} no longer named its run).
     */
    private static final Pattern CARD = Pattern.compile("(?<![\\w.-])(?:\\d[ -]?){12,18}\\d(?![\\w.-])");
    private static final Redactor DEFAULT = new Redactor(DEFAULT_KEYS, List.of());

    private final List<String> keys;
    private final List<Pattern> patterns;
    private final Pattern keyValue;

    public Redactor(List<String> keys, List<Pattern> patterns) {
        this.keys = keys.stream().map(k -> k.toLowerCase(Locale.ROOT)).distinct().toList();
        this.patterns = List.copyOf(patterns);
        String names = String.join("|", this.keys.stream().map(Pattern::quote).toList());
        // key=value, key: value, "key":"value" in free text (log lines, error messages).
        this.keyValue = Pattern.compile("(?i)([\\w.-]*(?:" + names + ")[\\w.-]*[\"']?\\s*[:=]\\s*[\"']?)"
                + "(?:Bearer\\s+)?([^\"'\\s,;&}]+)");
    }

    public static Redactor defaults() {
        return DEFAULT;
    }

    /** Rules from project settings: {@code {"keys": [...], "patterns": [...]}} add to the defaults. */
    public static Redactor fromSettings(JsonNode redaction) {
        if (redaction == null || !redaction.isObject()) {
            return DEFAULT;
        }
        List<String> keys = new ArrayList<>(DEFAULT_KEYS);
        redaction.path("keys").forEach(k -> keys.add(k.asText()));
        List<Pattern> patterns = new ArrayList<>();
        redaction.path("patterns").forEach(p -> patterns.add(Pattern.compile(p.asText())));
        return new Redactor(keys, patterns);
    }

    public boolean sensitiveKey(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        for (String k : keys) {
            if (lower.contains(k)) {
                return true;
            }
        }
        return false;
    }

    /** A redacted deep copy of {@code node} (null stays null). */
    public JsonNode redact(JsonNode node) {
        if (node == null) {
            return null;
        }
        if (node.isObject()) {
            ObjectNode out = Json.object();
            for (Map.Entry<String, JsonNode> e : node.properties()) {
                out.set(e.getKey(), sensitiveKey(e.getKey()) && !e.getValue().isNull()
                        ? TextNode.valueOf(MASK) : redact(e.getValue()));
            }
            return out;
        }
        if (node.isArray()) {
            ArrayNode out = Json.MAPPER.createArrayNode();
            node.forEach(item -> out.add(redact(item)));
            return out;
        }
        if (node.isTextual()) {
            String s = redactValue(node.textValue());
            return s.equals(node.textValue()) ? node : TextNode.valueOf(s);
        }
        if (node.isIntegralNumber() && isCard(node.asText())) {
            return TextNode.valueOf(MASK);
        }
        return node;
    }

    /** Redacts stored JSON text; text that is not JSON is treated as free text. */
    public String redactJson(String text) {
        if (text == null) {
            return null;
        }
        try {
            return Json.write(redact(Json.MAPPER.readTree(text)));
        } catch (java.io.IOException e) {
            return redactText(text);
        }
    }

    /** Free text (a log line, an error message): key=value pairs of sensitive keys, then value patterns. */
    public String redactText(String text) {
        if (text == null || text.isEmpty()) {
            return text;
        }
        String out = keyValue.matcher(text).replaceAll(m -> Matcher.quoteReplacement(m.group(1) + MASK));
        return redactValue(out);
    }

    private String redactValue(String s) {
        String out = CARD.matcher(s).replaceAll(m -> isCard(m.group()) ? MASK : Matcher.quoteReplacement(m.group()));
        for (Pattern p : patterns) {
            out = p.matcher(out).replaceAll(MASK);
        }
        return out;
    }

    static boolean isCard(String candidate) {
        String digits = candidate.replaceAll("[ -]", "");
        if (digits.length() < 13 || digits.length() > 19) {
            return false;
        }
        int sum = 0;
        boolean dbl = false;
        for (int i = digits.length() - 1; i >= 0; i--) {
            int d = digits.charAt(i) - '0';
            if (dbl) {
                d *= 2;
                if (d > 9) {
                    d -= 9;
                }
            }
            sum += d;
            dbl = !dbl;
        }
        return sum % 10 == 0;
    }
}
