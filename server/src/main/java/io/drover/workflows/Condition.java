package io.drover.workflows;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A step's condition, as data: {@code {"all": [..]}}, {@code {"any": [..]}}, {@code {"not": c}},
 * or a test {@code {"path": "steps.a.output.kind", "<op>": value}} with op one of equals,
 * not_equals, in, gt, gte, lt, lte, exists. Paths are the ones templates use, so a condition can
 * look at the input, at upstream outputs and at upstream statuses ({@code steps.a.status}).
 */
public sealed interface Condition {
    Set<String> OPS = Set.of("equals", "not_equals", "in", "gt", "gte", "lt", "lte", "exists");

    boolean test(Template.Context ctx);

    /** Every path the condition reads. */
    List<String> paths();

    record All(List<Condition> items) implements Condition {
        public boolean test(Template.Context ctx) {
            return items.stream().allMatch(c -> c.test(ctx));
        }

        public List<String> paths() {
            return items.stream().flatMap(c -> c.paths().stream()).toList();
        }
    }

    record Any(List<Condition> items) implements Condition {
        public boolean test(Template.Context ctx) {
            return items.stream().anyMatch(c -> c.test(ctx));
        }

        public List<String> paths() {
            return items.stream().flatMap(c -> c.paths().stream()).toList();
        }
    }

    record Not(Condition inner) implements Condition {
        public boolean test(Template.Context ctx) {
            return !inner.test(ctx);
        }

        public List<String> paths() {
            return inner.paths();
        }
    }

    record Test(String path, String op, JsonNode value) implements Condition {
        public boolean test(Template.Context ctx) {
            JsonNode actual = ctx.resolve(path);
            boolean present = actual != null && !actual.isNull() && !actual.isMissingNode();
            return switch (op) {
                case "exists" -> present == value.asBoolean();
                case "equals" -> same(actual, value);
                case "not_equals" -> !same(actual, value);
                case "in" -> {
                    for (JsonNode v : value) {
                        if (same(actual, v)) {
                            yield true;
                        }
                    }
                    yield false;
                }
                default -> {
                    if (!present || !actual.isNumber()) {
                        yield false;
                    }
                    int cmp = actual.decimalValue().compareTo(value.decimalValue());
                    yield switch (op) {
                        case "gt" -> cmp > 0;
                        case "gte" -> cmp >= 0;
                        case "lt" -> cmp < 0;
                        default -> cmp <= 0;
                    };
                }
            };
        }

        private static boolean same(JsonNode a, JsonNode b) {
            if (a.isNumber() && b.isNumber()) {
                return a.decimalValue().compareTo(b.decimalValue()) == 0;
            }
            return a.equals(b);
        }

        public List<String> paths() {
            return List.of(path);
        }
    }

    /** Parses a condition; a problem is an {@link IllegalArgumentException} naming where it is. */
    static Condition parse(JsonNode n, String where) {
        if (n == null || !n.isObject()) {
            throw new IllegalArgumentException(where + " must be an object");
        }
        if (n.has("all") || n.has("any")) {
            String key = n.has("all") ? "all" : "any";
            if (n.size() != 1 || !n.get(key).isArray() || n.get(key).isEmpty()) {
                throw new IllegalArgumentException(where + "." + key + " must be the only key, with a non-empty array");
            }
            List<Condition> items = new ArrayList<>();
            for (int i = 0; i < n.get(key).size(); i++) {
                items.add(parse(n.get(key).get(i), where + "." + key + "[" + i + "]"));
            }
            return key.equals("all") ? new All(items) : new Any(items);
        }
        if (n.has("not")) {
            if (n.size() != 1) {
                throw new IllegalArgumentException(where + ".not must be the only key");
            }
            return new Not(parse(n.get("not"), where + ".not"));
        }
        JsonNode path = n.get("path");
        if (path == null || !path.isTextual()) {
            throw new IllegalArgumentException(where + " needs all, any, not, or a path with an operator");
        }
        List<String> ops = new ArrayList<>();
        n.fieldNames().forEachRemaining(f -> {
            if (!f.equals("path")) {
                ops.add(f);
            }
        });
        if (ops.size() != 1 || !OPS.contains(ops.get(0))) {
            throw new IllegalArgumentException(where + " needs exactly one operator of " + new java.util.TreeSet<>(OPS)
                    + ", got " + ops);
        }
        String op = ops.get(0);
        JsonNode value = n.get(op);
        if (op.equals("in") && !value.isArray()) {
            throw new IllegalArgumentException(where + ".in must be an array");
        }
        if (Set.of("gt", "gte", "lt", "lte").contains(op) && !value.isNumber()) {
            throw new IllegalArgumentException(where + "." + op + " must be a number");
        }
        if (op.equals("exists") && !value.isBoolean()) {
            throw new IllegalArgumentException(where + ".exists must be true or false");
        }
        List<String> paths = Template.pathsIn("{{" + path.textValue() + "}}");
        return new Test(paths.get(0), op, value);
    }
}
