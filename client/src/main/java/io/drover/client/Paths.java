package io.drover.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.util.Iterator;
import java.util.Map;
import java.nio.charset.StandardCharsets;
import java.util.StringJoiner;

/** Builds request paths: encodes path segments and query strings. */
final class Paths {

    private Paths() {
    }

    /** Encodes one path segment; URLEncoder targets forms, so its '+' for space is fixed up. */
    static String seg(String value) {
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException("an id or slug is required");
        }
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** Returns "?a=1&b=2" for the pairs (name, value, name, value...) whose value is not null, or "". */
    static String query(Object... namesAndValues) {
        StringJoiner joiner = new StringJoiner("&", "?", "");
        joiner.setEmptyValue("");
        for (int i = 0; i + 1 < namesAndValues.length; i += 2) {
            Object value = namesAndValues[i + 1];
            if (value instanceof RunStatus status) {
                value = status.wireName();
            }
            if (value != null) {
                joiner.add(namesAndValues[i] + "=" + URLEncoder.encode(String.valueOf(value), StandardCharsets.UTF_8));
            }
        }
        return joiner.toString();
    }

    /**
     * Whether {@code have} already says everything {@code wanted} says: each field of an object in
     * {@code wanted} is in {@code have} with a covered value (fields {@code wanted} lacks are not
     * compared); arrays and scalars are equal, numbers by value.
     */
    static boolean covers(JsonNode have, JsonNode wanted) {
        if (wanted == null || wanted.isNull() || wanted.isMissingNode()) {
            return true;
        }
        if (have == null) {
            return false;
        }
        if (wanted.isObject()) {
            if (!have.isObject()) {
                return false;
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = wanted.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                if (!covers(have.get(field.getKey()), field.getValue())) {
                    return false;
                }
            }
            return true;
        }
        if (wanted.isNumber() && have.isNumber()) {
            return wanted.decimalValue().compareTo(have.decimalValue()) == 0;
        }
        return wanted.equals(have);
    }
}
