package io.drover.workflows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.drover.http.Json;
import java.util.Iterator;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The workflow condition language and templates over an inbound event ({@code event.*}) instead of
 * a workflow run's input: the same parser, operators and rendering, with {@code event} standing
 * where a workflow says {@code input} (event subscriptions, io.drover.ingest). Any other root
 * ({@code input}, {@code steps}) is refused.
 */
public final class EventTemplates {
    private static final Pattern EXPR = Pattern.compile("\\{\\{\\s*([^{}]*?)\\s*}}");
    private static final Pattern EVENT_PATH = Pattern.compile("event(\\.[A-Za-z0-9_-]+)*");

    private EventTemplates() {}

    /** A filter, checked; throws {@link IllegalArgumentException} naming the problem. */
    public static Condition condition(JsonNode filter) {
        return Condition.parse(conditionOverInput(filter, "filter"), "filter");
    }

    /** A payload template, checked and put in the workflow's terms; throws {@link IllegalArgumentException}. */
    public static JsonNode template(JsonNode payload) {
        JsonNode t = templateOverInput(payload);
        Template.paths(t);
        return t;
    }

    /** Does the event pass the filter? */
    public static boolean matches(Condition filter, JsonNode event) {
        return filter.test(context(event));
    }

    /** The payload template (as {@link #template} answers it) rendered against the event. */
    public static JsonNode render(JsonNode template, JsonNode event) {
        return Template.render(template, context(event));
    }

    private static Template.Context context(JsonNode event) {
        return new Template.Context(event, Map.of(), null);
    }

    private static JsonNode conditionOverInput(JsonNode n, String where) {
        if (n == null || !n.isObject()) {
            return n; // Condition.parse names the problem
        }
        ObjectNode out = Json.object();
        Iterator<Map.Entry<String, JsonNode>> it = n.fields();
        while (it.hasNext()) {
            var e = it.next();
            JsonNode v = e.getValue();
            if (e.getKey().equals("path") && v.isTextual()) {
                out.put("path", inputPath(v.textValue(), where + ".path"));
            } else if ((e.getKey().equals("all") || e.getKey().equals("any")) && v.isArray()) {
                ArrayNode a = out.putArray(e.getKey());
                for (int i = 0; i < v.size(); i++) {
                    a.add(conditionOverInput(v.get(i), where + "." + e.getKey() + "[" + i + "]"));
                }
            } else if (e.getKey().equals("not")) {
                out.set("not", conditionOverInput(v, where + ".not"));
            } else {
                out.set(e.getKey(), v);
            }
        }
        return out;
    }

    private static String inputPath(String path, String where) {
        String p = path.strip();
        if (!EVENT_PATH.matcher(p).matches()) {
            throw new IllegalArgumentException(where + " must be event or event.<field>..., got '" + path + "'");
        }
        return "input" + p.substring("event".length());
    }

    private static JsonNode templateOverInput(JsonNode v) {
        if (v == null) {
            return null;
        }
        if (v.isTextual()) {
            return TextNode.valueOf(textOverInput(v.textValue()));
        }
        if (v.isArray()) {
            ArrayNode a = Json.MAPPER.createArrayNode();
            v.forEach(x -> a.add(templateOverInput(x)));
            return a;
        }
        if (v.isObject()) {
            ObjectNode o = Json.object();
            v.fields().forEachRemaining(e -> o.set(textOverInput(e.getKey()), templateOverInput(e.getValue())));
            return o;
        }
        return v;
    }

    private static String textOverInput(String s) {
        Matcher m = EXPR.matcher(s);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String path = m.group(1);
            if (!EVENT_PATH.matcher(path).matches()) {
                throw new IllegalArgumentException("bad template '{{" + path + "}}': use event or event.<field>");
            }
            m.appendReplacement(sb, Matcher.quoteReplacement("{{input" + path.substring("event".length()) + "}}"));
        }
        m.appendTail(sb);
        return sb.toString();
    }
}
