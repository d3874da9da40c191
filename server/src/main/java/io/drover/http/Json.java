package io.drover.http;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.math.BigDecimal;
import java.util.Map;

/** The one JSON mapper of the server: strict on input, RFC 3339 times on output. */
public final class Json {
    public static final ObjectMapper MAPPER = JsonMapper.builder()
            .addModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            // Numbers are kept exact: a double turned 1e999999 into "Infinity" and 1e-999999 into 0.0.
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
            .build();

    /**
     * The most digits a JSON number may have when written out in full, as PostgreSQL writes a
     * jsonb number back (no exponent: 1e100 comes back as 1 and 100 zeros). It is Jackson's
     * default read limit, so every number Drover accepts is read back by the server, the SDK and
     * other clients' default Jackson; PostgreSQL holds far more (131,072 digits before the point,
     * 16,383 after).
     */
    public static final int MAX_NUMBER_DIGITS = 1000;

    static {
        MAPPER.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(64)
                .maxNumberLength(MAX_NUMBER_DIGITS)
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
        } catch (NumberFormatException e) {
            // an exponent no BigDecimal holds (1e99999999999, 1e-2147483648)
            String at = badNumberPath(body);
            throw ApiError.invalid(at == null || at.isEmpty() ? "body" : at, NUMBER_RULE);
        } catch (StreamConstraintsException e) {
            String at = e.getOriginalMessage().startsWith("Number value length") ? badNumberPath(body) : null;
            if (at != null) {
                throw ApiError.invalid(at.isEmpty() ? "body" : at, NUMBER_RULE);
            }
            throw ApiError.badRequest("malformed_json", "request body is not valid JSON: " + e.getOriginalMessage(),
                    Map.of());
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
        if (hasUnstorable(tree)) {
            JsonNode[] hit = new JsonNode[1];
            String at = find(tree, "", hit);
            throw ApiError.invalid(at.isEmpty() ? "body" : at, hit[0] != null && hit[0].isNumber() ? NUMBER_RULE
                    : "must not contain the character U+0000 or an unpaired surrogate (\\ud800-\\udfff), "
                            + "which cannot be stored");
        }
        return tree;
    }

    private static final String NUMBER_RULE = "a number may have at most " + MAX_NUMBER_DIGITS
            + " digits when written out in full, without an exponent (from 1e-999 to 1e999), so that it is"
            + " stored and read back exactly";

    /**
     * Where the first number that cannot be read is in {@code body}: too many digits (checked as
     * each number token is read) or an exponent out of BigDecimal's range; null if none.
     */
    private static String badNumberPath(byte[] body) {
        JsonParser p = null;
        try {
            p = MAPPER.createParser(body);
            for (var t = p.nextToken(); t != null; t = p.nextToken()) {
                if (t == com.fasterxml.jackson.core.JsonToken.VALUE_NUMBER_FLOAT) {
                    p.getDecimalValue();
                }
            }
            return null;
        } catch (StreamConstraintsException | NumberFormatException e) {
            return path(p.getParsingContext());
        } catch (IOException e) {
            return null;
        } finally {
            if (p != null) {
                try {
                    p.close();
                } catch (IOException e) {
                    // nothing was written
                }
            }
        }
    }

    /** The field path of the value a parser is at, such as {@code payload.items[2]}. */
    private static String path(JsonStreamContext ctx) {
        StringBuilder out = new StringBuilder();
        for (JsonStreamContext c = ctx; c != null && !c.inRoot(); c = c.getParent()) {
            String step = c.inArray() ? "[" + Math.max(c.getCurrentIndex(), 0) + "]"
                    : (c.getParent() != null && c.getParent().inRoot() ? "" : ".") + c.getCurrentName();
            out.insert(0, step);
        }
        return out.toString();
    }

    /**
     * True if a number cannot be stored and read back exactly: more than {@link #MAX_NUMBER_DIGITS}
     * digits when written out in full, as PostgreSQL writes it. Only exact (big) numbers are looked
     * at; ints and longs always fit.
     */
    static boolean unstorable(JsonNode number) {
        if (number.isBigDecimal()) {
            BigDecimal d = number.decimalValue();
            long scale = d.scale();
            long intDigits = scale <= 0 ? (d.signum() == 0 ? 1 : d.precision() - scale)
                    : Math.max(d.precision() - scale, 1);
            return intDigits + Math.max(scale, 0) > MAX_NUMBER_DIGITS;
        }
        return number.isBigInteger() && number.bigIntegerValue().abs().toString().length() > MAX_NUMBER_DIGITS;
    }

    /**
     * Where {@code node} holds U+0000 or an unpaired UTF-16 surrogate (in a value or a field name),
     * or a number that cannot be stored exactly ({@link #MAX_NUMBER_DIGITS}), as a field path such
     * as {@code payload.items[2].name}; null when nowhere. PostgreSQL text and jsonb cannot store
     * such characters (a lone surrogate is not UTF-8: it failed in SQL as a 500, or was silently
     * stored as '?'), and a longer number was stored but could not be read back (a 500), so such
     * JSON is refused up front.
     */
    public static String unstorablePath(JsonNode node, String path) {
        return find(node, path, new JsonNode[1]);
    }

    /** {@link #unstorablePath}, also putting the refused value (not a refused key) in {@code hit[0]}. */
    private static String find(JsonNode node, String path, JsonNode[] hit) {
        if (node.isTextual() || node.isNumber()) {
            if (node.isTextual() ? unstorable(node.textValue()) : unstorable(node)) {
                hit[0] = node;
                return path;
            }
            return null;
        }
        if (node.isObject()) {
            for (var field : node.properties()) {
                String name = field.getKey();
                String child = (path.isEmpty() ? "" : path + ".") + name.replace("\0", "\\u0000");
                String found = unstorable(name) ? child : find(field.getValue(), child, hit);
                if (found != null) {
                    return found;
                }
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                String found = find(node.get(i), path + "[" + i + "]", hit);
                if (found != null) {
                    return found;
                }
            }
        }
        return null;
    }

    /** True if {@link #unstorablePath} would find something, without building any path. */
    static boolean hasUnstorable(JsonNode node) {
        if (node.isTextual()) {
            return unstorable(node.textValue());
        }
        if (node.isNumber()) {
            return unstorable(node);
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
