package io.drover.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.util.Map;

/** The one JSON mapper of the server: strict on input, RFC 3339 times on output. */
public final class Json {
    public static final ObjectMapper MAPPER = JsonMapper.builder()
            .addModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    static {
        MAPPER.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(64)
                .maxNumberLength(100)
                .maxStringLength(1024 * 1024)
                .build());
    }

    private Json() {}

    public static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    /** Parses a request body; malformed JSON is a 400 that says where it broke. */
    public static JsonNode parse(byte[] body) {
        if (body == null || body.length == 0) {
            return MAPPER.nullNode();
        }
        JsonNode tree;
        try {
            tree = MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr()
                    + ", column " + e.getLocation().getColumnNr();
            throw ApiError.badRequest("malformed_json", "request body is not valid JSON" + where + ": "
                    + e.getOriginalMessage(), Map.of());
        } catch (IOException e) {
            throw ApiError.badRequest("malformed_json", "request body could not be read", Map.of());
        }
        // The path is only built when there is something to report: building it for every field
        // of every body was a visible cost on 1,000-run batch triggers.
        String nul = hasUnstorable(tree) ? nulPath(tree, "") : null;
        if (nul != null) {
            throw ApiError.invalid(nul.isEmpty() ? "body" : nul,
                    "must not contain the character U+0000 or an unpaired surrogate (\\ud800-\\udfff), "
                            + "which cannot be stored");
        }
        return tree;
    }

    /**
     * Where {@code node} holds U+0000 or an unpaired UTF-16 surrogate (in a value or a field name),
     * as a field path such as {@code payload.items[2].name}; null when nowhere. PostgreSQL text and
     * jsonb cannot store them (a lone surrogate is not UTF-8: it failed in SQL as a 500, or was
     * silently stored as '?'), so such JSON is refused up front.
     */
    public static String nulPath(JsonNode node, String path) {
        if (node.isTextual()) {
            return unstorable(node.textValue()) ? path : null;
        }
        if (node.isObject()) {
            for (var field : node.properties()) {
                String name = field.getKey();
                String child = (path.isEmpty() ? "" : path + ".") + name.replace("\0", "\\u0000");
                String found = unstorable(name) ? child : nulPath(field.getValue(), child);
                if (found != null) {
                    return found;
                }
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                String found = nulPath(node.get(i), path + "[" + i + "]");
                if (found != null) {
                    return found;
                }
            }
        }
        return null;
    }

    /** True if {@link #nulPath} would find something, without building any path. */
    static boolean hasUnstorable(JsonNode node) {
        if (node.isTextual()) {
            return unstorable(node.textValue());
        }
        if (node.isObject()) {
            for (var field : node.properties()) {
                if (unstorable(field.getKey()) || hasUnstorable(field.getValue())) {
                    return true;
                }
            }
        } else if (node.isArray()) {
            for (JsonNode item : node) {
                if (hasUnstorable(item)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** True if {@code s} holds U+0000 or a surrogate that is not half of a pair. */
    static boolean unstorable(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\0') {
                return true;
            }
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                    continue;
                }
                return true;
            }
            if (Character.isLowSurrogate(c)) {
                return true;
            }
        }
        return false;
    }

    /** Parses JSON text stored by Drover itself (jsonb columns). */
    public static JsonNode read(String text) {
        if (text == null) {
            return null;
        }
        try {
            return MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored JSON is invalid", e);
        }
    }

    public static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static byte[] bytes(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
