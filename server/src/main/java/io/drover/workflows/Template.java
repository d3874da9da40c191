package io.drover.workflows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.drover.http.Json;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code {{input.x}}} and {@code {{steps.a.output.y}}} templates inside JSON values. A string that
 * is exactly one template becomes the referenced JSON value (keeping its type); a template inside a
 * longer string is replaced by the value's text. Parsing is strict so that definitions with a bad
 * template are refused when they are created, not when a run reaches them.
 */
public final class Template {
    private static final Pattern EXPR = Pattern.compile("\\{\\{\\s*([^{}]*?)\\s*}}");
    private static final Pattern PATH = Pattern.compile(
            "input(\\.[A-Za-z0-9_-]+)*|steps\\.[A-Za-z0-9_-]+\\.(status|output(\\.[A-Za-z0-9_-]+)*)|workflow_run_id");

    private Template() {}

    /** Every path referenced by templates in {@code value}; throws {@link IllegalArgumentException} on a bad one. */
    public static List<String> paths(JsonNode value) {
        List<String> out = new ArrayList<>();
        collect(value, out);
        return out;
    }

    private static void collect(JsonNode value, List<String> out) {
        if (value == null) {
            return;
        }
        if (value.isTextual()) {
            out.addAll(pathsIn(value.textValue()));
        } else if (value.isContainerNode()) {
            if (value.isObject()) {
                value.fieldNames().forEachRemaining(name -> out.addAll(pathsIn(name)));
            }
            value.forEach(v -> collect(v, out));
        }
    }

    static List<String> pathsIn(String s) {
        List<String> out = new ArrayList<>();
        Matcher m = EXPR.matcher(s);
        while (m.find()) {
            String path = m.group(1);
            if (!PATH.matcher(path).matches()) {
                throw new IllegalArgumentException("bad template '{{" + path + "}}': use input.<field>, "
                        + "steps.<step>.output.<field>, steps.<step>.status or workflow_run_id");
            }
            out.add(path);
        }
        String rest = EXPR.matcher(s).replaceAll("");
        if (rest.contains("{{") || rest.contains("}}")) {
            throw new IllegalArgumentException("bad template in '" + abbreviate(s) + "': an unclosed or nested {{");
        }
        return out;
    }

    /** The step a path refers to ({@code steps.<id>...}), or null. */
    public static String stepOf(String path) {
        if (!path.startsWith("steps.")) {
            return null;
        }
        int dot = path.indexOf('.', 6);
        return path.substring(6, dot);
    }

    /** Renders templates in {@code value} against a context (input, steps, workflow run id). */
    public static JsonNode render(JsonNode value, Context ctx) {
        if (value == null) {
            return null;
        }
        if (value.isTextual()) {
            return renderString(value.textValue(), ctx);
        }
        if (value.isArray()) {
            ArrayNode a = Json.MAPPER.createArrayNode();
            value.forEach(v -> a.add(render(v, ctx)));
            return a;
        }
        if (value.isObject()) {
            ObjectNode o = Json.object();
            Iterator<Map.Entry<String, JsonNode>> it = value.fields();
            while (it.hasNext()) {
                var e = it.next();
                o.set(text(renderString(e.getKey(), ctx)), render(e.getValue(), ctx));
            }
            return o;
        }
        return value;
    }

    /** A string with its templates rendered as text (event keys, concurrency keys). */
    public static String renderText(String s, Context ctx) {
        return s == null ? null : text(renderString(s, ctx));
    }

    private static JsonNode renderString(String s, Context ctx) {
        Matcher m = EXPR.matcher(s);
        if (m.matches()) {
            return ctx.resolve(m.group(1));
        }
        StringBuilder sb = new StringBuilder();
        m.reset();
        while (m.find()) {
            m.appendReplacement(sb, Matcher.quoteReplacement(text(ctx.resolve(m.group(1)))));
        }
        m.appendTail(sb);
        return TextNode.valueOf(sb.toString());
    }

    private static String text(JsonNode v) {
        if (v == null || v.isNull() || v.isMissingNode()) {
            return "";
        }
        return v.isValueNode() ? v.asText() : Json.write(v);
    }

    private static String abbreviate(String s) {
        return s.length() > 60 ? s.substring(0, 60) + "..." : s;
    }

    /** What templates and conditions can see: the run's input, its steps' states, its id. */
    public record Context(JsonNode input, Map<String, StepState> steps, String workflowRunId) {
        public JsonNode resolve(String path) {
            String[] parts = path.split("\\.");
            JsonNode node;
            int i;
            if (parts[0].equals("workflow_run_id")) {
                return TextNode.valueOf(workflowRunId);
            } else if (parts[0].equals("input")) {
                node = input;
                i = 1;
            } else {
                StepState st = steps.get(parts[1]);
                if (st == null) {
                    return Json.MAPPER.nullNode();
                }
                if (parts[2].equals("status")) {
                    return TextNode.valueOf(st.status());
                }
                node = st.output();
                i = 3;
            }
            for (; i < parts.length && node != null; i++) {
                node = node.isArray() && parts[i].matches("\\d+") ? node.get(Integer.parseInt(parts[i])) : node.get(parts[i]);
            }
            return node == null ? Json.MAPPER.nullNode() : node;
        }
    }

    /** A step as templates see it. */
    public record StepState(String status, JsonNode output) {}
}
