package io.drover.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;

/**
 * One page of a list: {@code {"data": [...], "next_cursor": "..."|null}}. Queries fetch
 * {@code limit + 1} rows; the extra row only says whether a next page exists. Cursors are opaque
 * (base64url of the last id) so that their form can change.
 */
public record Page<T>(List<T> data, String nextCursor) {
    public static final int DEFAULT_LIMIT = 50;
    public static final int MAX_LIMIT = 500;

    public static <T> Page<T> of(List<T> rows, int limit, Function<T, UUID> id) {
        if (rows.size() <= limit) {
            return new Page<>(rows, null);
        }
        List<T> page = List.copyOf(rows.subList(0, limit));
        return new Page<>(page, encode(id.apply(page.get(limit - 1))));
    }

    public ObjectNode toJson(Function<T, ObjectNode> render) {
        ObjectNode n = Json.object();
        var arr = n.putArray("data");
        data.forEach(row -> arr.add(render.apply(row)));
        n.put("next_cursor", nextCursor);
        return n;
    }

    public static String encode(UUID id) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(id.toString().getBytes(StandardCharsets.US_ASCII));
    }

    /** Decodes a cursor from a query string; a bad one is a 400 naming the parameter. */
    public static UUID decode(String cursor) {
        if (cursor == null || cursor.isEmpty()) {
            return null;
        }
        try {
            return UUID.fromString(new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.US_ASCII));
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest("invalid_cursor", "cursor is not one this server issued",
                    Map.of("parameter", "cursor"));
        }
    }

    /** Parses {@code limit} (default 50, 1..500). */
    public static int limit(String value) {
        if (value == null || value.isEmpty()) {
            return DEFAULT_LIMIT;
        }
        try {
            int n = Integer.parseInt(value);
            if (n >= 1 && n <= MAX_LIMIT) {
                return n;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new ApiError(400, "invalid_parameter", "limit must be an integer from 1 to " + MAX_LIMIT,
                Map.of("parameter", "limit"));
    }
}
