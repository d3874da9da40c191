package io.drover.ui;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.http.Json;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** Small formatting helpers the templates call. Times are shown in UTC, to the second. */
public final class Fmt {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")
            .withZone(ZoneOffset.UTC);

    private Fmt() {}

    public static String time(Instant t) {
        return t == null ? "" : TIME.format(t);
    }

    /** An ISO instant for a {@code <time datetime>} attribute. */
    public static String iso(Instant t) {
        return t == null ? "" : t.toString();
    }

    /** A JSON value indented for a {@code <pre>}, or empty for null. */
    public static String json(JsonNode n) {
        if (n == null || n.isNull() || n.isMissingNode()) {
            return "";
        }
        try {
            return Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(n);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return n.toString();
        }
    }

    public static String text(JsonNode n, String field) {
        JsonNode v = n == null ? null : n.get(field);
        return v == null || v.isNull() ? "" : v.isTextual() ? v.textValue() : v.toString();
    }

    public static String q(String s) {
        return URLEncoder.encode(s == null ? "" : s, StandardCharsets.UTF_8);
    }

    /** The first 8 characters of an id, as the lists show it. */
    public static String shortId(Object id) {
        String s = String.valueOf(id);
        return s.length() > 8 ? s.substring(s.length() - 8) : s;
    }

    /** A bar's width in percent of {@code max} (at least 1 for a non-zero value). */
    public static int pct(long value, long max) {
        if (max <= 0 || value <= 0) {
            return 0;
        }
        return (int) Math.max(1, Math.min(100, value * 100 / max));
    }

    /** The text values of a JSON array, comma-separated (an agent's engines); empty for anything else. */
    public static String list(JsonNode n) {
        if (n == null || !n.isArray()) {
            return "";
        }
        java.util.List<String> out = new java.util.ArrayList<>();
        n.forEach(v -> out.add(v.isTextual() ? v.textValue() : v.toString()));
        return String.join(", ", out);
    }

    /** A rate of 0..1 as a percentage with one decimal, or empty when not reported. */
    public static String rate(Double r) {
        return r == null ? "" : String.format(java.util.Locale.ROOT, "%.1f%%", r * 100);
    }

    /** Micro-USD as dollars: at least two decimals, up to six (what a token costs). */
    public static String usd(long microusd) {
        java.math.BigDecimal d = java.math.BigDecimal.valueOf(microusd, 6).stripTrailingZeros();
        if (d.scale() < 2) {
            d = d.setScale(2);
        }
        return "$" + d.toPlainString();
    }

    /** A count with thousands separators. */
    public static String num(long n) {
        return String.format(java.util.Locale.ROOT, "%,d", n);
    }
}
