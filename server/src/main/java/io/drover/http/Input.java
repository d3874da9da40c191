package io.drover.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Typed, validating access to a JSON object from a request. A wrong JSON type is a 400 naming the
 * field; a value out of range is a 422 naming the field; unknown fields are refused (422), which
 * catches typos like {@code max_attempt} before they silently do nothing.
 */
public final class Input {
    /** The earliest time accepted wherever a time comes in (body fields and query parameters). */
    public static final Instant MIN_TIME = Instant.parse("1970-01-01T00:00:00Z");
    /** The latest: the last instant RFC 3339 writes with a four-digit year. */
    public static final Instant MAX_TIME = Instant.parse("9999-12-31T23:59:59.999999Z");

    private final ObjectNode node;
    private final String prefix;

    private Input(ObjectNode node, String prefix) {
        this.node = node;
        this.prefix = prefix;
    }

    /** The request body as an object; {@code null}/empty bodies count as {@code {}} when allowed. */
    public static Input body(JsonNode body, boolean emptyAllowed) {
        if ((body == null || body.isNull() || body.isMissingNode()) && emptyAllowed) {
            return new Input(Json.object(), "");
        }
        if (body == null || !body.isObject()) {
            throw ApiError.badRequest("invalid_body", "request body must be a JSON object", Map.of());
        }
        return new Input((ObjectNode) body, "");
    }

    public static Input of(JsonNode node, String field) {
        if (!node.isObject()) {
            throw ApiError.wrongType(field, "an object");
        }
        return new Input((ObjectNode) node, field + ".");
    }

    public ObjectNode raw() {
        return node;
    }

    public void allowOnly(Set<String> fields) {
        Iterator<String> names = node.fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            if (!fields.contains(name)) {
                throw new ApiError(422, "unknown_field", "unknown field " + prefix + name,
                        Map.of("field", prefix + name, "allowed", List.copyOf(new java.util.TreeSet<>(fields))));
            }
        }
    }

    public boolean has(String field) {
        JsonNode v = node.get(field);
        return v != null && !v.isNull();
    }

    public JsonNode get(String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v;
    }

    public String name(String field) {
        return prefix + field;
    }

    public String string(String field, String dflt, int maxLength) {
        JsonNode v = get(field);
        if (v == null) {
            return dflt;
        }
        if (!v.isTextual()) {
            throw ApiError.wrongType(name(field), "a string");
        }
        String s = v.textValue();
        if (s.length() > maxLength) {
            throw ApiError.invalid(name(field), "at most " + maxLength + " characters");
        }
        return s;
    }

    public String requiredString(String field, int maxLength) {
        String s = string(field, null, maxLength);
        if (s == null) {
            throw ApiError.invalid(name(field), "is required");
        }
        return s;
    }

    /**
     * A name or label that people read: absent is {@code dflt}; present, it must hold something
     * besides white space (422 naming the field), and comes back trimmed.
     */
    public String nonBlank(String field, String dflt, int maxLength) {
        String s = string(field, null, maxLength);
        if (s == null) {
            return dflt;
        }
        if (s.isBlank()) {
            throw ApiError.invalid(name(field), "must not be empty");
        }
        return s.strip();
    }

    /** {@link #nonBlank}, required. */
    public String requiredNonBlank(String field, int maxLength) {
        String s = nonBlank(field, null, maxLength);
        if (s == null) {
            throw ApiError.invalid(name(field), "is required");
        }
        return s;
    }

    public Long longValue(String field, Long dflt, long min, long max) {
        JsonNode v = get(field);
        if (v == null) {
            return dflt;
        }
        if (!v.isIntegralNumber()) {
            throw ApiError.wrongType(name(field), "an integer");
        }
        if (!v.canConvertToLong() || v.longValue() < min || v.longValue() > max) {
            throw ApiError.invalid(name(field), "must be between " + min + " and " + max);
        }
        return v.longValue();
    }

    public Integer intValue(String field, Integer dflt, int min, int max) {
        Long v = longValue(field, dflt == null ? null : dflt.longValue(), min, max);
        return v == null ? null : v.intValue();
    }

    public Boolean bool(String field, Boolean dflt) {
        JsonNode v = get(field);
        if (v == null) {
            return dflt;
        }
        if (!v.isBoolean()) {
            throw ApiError.wrongType(name(field), "true or false");
        }
        return v.booleanValue();
    }

    public Instant instant(String field) {
        String s = string(field, null, 64);
        if (s == null) {
            return null;
        }
        Instant t = parseTime(s);
        if (t == null) {
            throw ApiError.invalid(name(field), "must be an RFC 3339 time such as 2026-01-31T12:00:00Z");
        }
        return timeInRange(name(field), t);
    }

    /** {@code text} as an RFC 3339 time, or null when it is not one. */
    public static Instant parseTime(String text) {
        try {
            return java.time.OffsetDateTime.parse(text).toInstant();
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /**
     * {@code t} when it lies in years 1970-9999 (UTC), else a 422 naming {@code field}. Java parses
     * years up to +-999,999,999, which {@code java.sql.Timestamp} and PostgreSQL cannot hold (a
     * 500), and year 0 was silently stored as year 1.
     */
    public static Instant timeInRange(String field, Instant t) {
        if (t.isBefore(MIN_TIME) || t.isAfter(MAX_TIME)) {
            throw ApiError.invalid(field, "must be a time from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z");
        }
        return t;
    }

    public ObjectNode object(String field) {
        JsonNode v = get(field);
        if (v == null) {
            return null;
        }
        if (!v.isObject()) {
            throw ApiError.wrongType(name(field), "an object");
        }
        return (ObjectNode) v;
    }

    public List<String> strings(String field, int maxItems, int maxLength) {
        JsonNode v = get(field);
        if (v == null) {
            return null;
        }
        if (!v.isArray()) {
            throw ApiError.wrongType(name(field), "an array of strings");
        }
        if (v.size() > maxItems) {
            throw ApiError.invalid(name(field), "at most " + maxItems + " items");
        }
        List<String> out = new ArrayList<>(v.size());
        for (JsonNode item : v) {
            if (!item.isTextual()) {
                throw ApiError.wrongType(name(field), "an array of strings");
            }
            if (item.textValue().length() > maxLength || item.textValue().isEmpty()) {
                throw ApiError.invalid(name(field), "items must be 1.." + maxLength + " characters");
            }
            out.add(item.textValue());
        }
        return out;
    }

    public <E extends Enum<E>> String oneOf(String field, String dflt, Set<String> allowed) {
        String s = string(field, dflt, 64);
        if (s != null && !allowed.contains(s)) {
            throw ApiError.invalid(name(field), "must be one of " + new java.util.TreeSet<>(allowed));
        }
        return s;
    }
}
