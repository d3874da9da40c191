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

    /**
     * A page of a short list held in memory (a project's keys, members, secrets): rows newest
     * first by id, those after {@code cursor}, at most {@code limit}.
     */
    public static <T> Page<T> slice(List<T> rows, UUID cursor, int limit, Function<T, UUID> id) {
        List<T> sorted = new java.util.ArrayList<>(rows);
        sorted.sort(java.util.Comparator.comparing(id).reversed());
        if (cursor != null) {
            sorted.removeIf(r -> id.apply(r).compareTo(cursor) >= 0);
        }
        return of(sorted.size() > limit + 1 ? sorted.subList(0, limit + 1) : sorted, limit, id);
    }

    /** The page of a short list for a request's {@code limit} and {@code cursor} query parameters. */
    public static <T> Page<T> slice(List<T> rows, Call c, Function<T, UUID> id) {
        return slice(rows, decode(c.query("cursor")), limit(c.query("limit")), id);
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
