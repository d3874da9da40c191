package io.drover.client;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.datatype.jsr310.deser.InstantDeserializer;
import java.io.IOException;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;

/**
 * Reads RFC 3339 timestamps ({@code 2026-11-22T04:24:25.584123Z}, or with a {@code +hh:mm}
 * offset) without {@code DateTimeFormatter}, whose general parser was about a tenth of the SDK's
 * CPU when reading claimed runs (six timestamps each). Anything else goes to Jackson's own
 * {@link InstantDeserializer}, so the result is always what that one would give.
 */
final class Rfc3339 {

    private Rfc3339() {
    }

    /** @return the instant, or null when {@code s} is not in the plain form (the caller falls back) */
    static Instant parse(String s) {
        int n = s.length();
        if (n < 20 || s.charAt(4) != '-' || s.charAt(7) != '-' || (s.charAt(10) != 'T' && s.charAt(10) != 't')
                || s.charAt(13) != ':' || s.charAt(16) != ':') {
            return null;
        }
        int year = digits(s, 0, 4);
        int month = digits(s, 5, 2);
        int day = digits(s, 8, 2);
        int hour = digits(s, 11, 2);
        int minute = digits(s, 14, 2);
        int second = digits(s, 17, 2);
        if (year < 0 || month < 0 || day < 0 || hour < 0 || hour > 23 || minute < 0 || minute > 59
                || second < 0 || second > 59) {
            return null;
        }
        int i = 19;
        int nano = 0;
        if (i < n && s.charAt(i) == '.') {
            int start = ++i;
            while (i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                if (i - start < 9) {
                    nano = nano * 10 + (s.charAt(i) - '0');
                }
                i++;
            }
            int len = i - start;
            if (len == 0 || len > 9) {
                return null;
            }
            for (int k = len; k < 9; k++) {
                nano *= 10;
            }
        }
        int offset;
        if (i == n - 1 && (s.charAt(i) == 'Z' || s.charAt(i) == 'z')) {
            offset = 0;
        } else if (i == n - 6 && (s.charAt(i) == '+' || s.charAt(i) == '-') && s.charAt(i + 3) == ':') {
            int oh = digits(s, i + 1, 2);
            int om = digits(s, i + 4, 2);
            if (oh < 0 || oh > 18 || om < 0 || om > 59) {
                return null;
            }
            offset = (oh * 3600 + om * 60) * (s.charAt(i) == '-' ? -1 : 1);
        } else {
            return null;
        }
        long epochDay;
        try {
            epochDay = LocalDate.of(year, month, day).toEpochDay();
        } catch (DateTimeException e) {
            return null;
        }
        return Instant.ofEpochSecond(epochDay * 86_400 + hour * 3600L + minute * 60L + second - offset, nano);
    }

    private static int digits(String s, int from, int count) {
        int v = 0;
        for (int i = from; i < from + count; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v;
    }

    /** The Jackson side: the fast path for strings, Jackson's {@link InstantDeserializer} for the rest. */
    static final class Deserializer extends StdScalarDeserializer<Instant> {
        Deserializer() {
            super(Instant.class);
        }

        @Override
        public Instant deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            if (p.currentToken() == JsonToken.VALUE_STRING) {
                Instant fast = parse(p.getText());
                if (fast != null) {
                    return fast;
                }
            }
            return InstantDeserializer.INSTANT.deserialize(p, ctxt);
        }
    }
}
