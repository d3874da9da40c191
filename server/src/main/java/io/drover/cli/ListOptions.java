package io.drover.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.client.DroverClient;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.StringJoiner;
import picocli.CommandLine.Option;

/**
 * The paging options of list commands, and the fetch that follows {@code next_cursor} for
 * {@code --all}. With {@code --all} the pages are merged into one answer whose
 * {@code next_cursor} is null, so {@code --json} output has the same shape either way.
 */
public final class ListOptions {
    private static final int MAX_PAGE = 500;

    @Option(names = "--limit", paramLabel = "<n>",
            description = "Page size, 1..500 (server default 50; 500 with --all).")
    Integer limit;

    @Option(names = "--cursor", paramLabel = "<cursor>", description = "Start at this next_cursor of an earlier page.")
    String cursor;

    @Option(names = "--all", description = "Follow next_cursor and print every page.")
    boolean all;

    /** @return options that fetch every page, for lists that have no paging flags */
    static ListOptions everything() {
        ListOptions options = new ListOptions();
        options.all = true;
        return options;
    }

    /**
     * Fetches one page, or every page with {@code --all}.
     *
     * @param path the list endpoint, such as {@code /v1/runs}
     * @param filters query parameters; null values are left out
     * @return the answer {@code {"data": [...], "next_cursor": ...}}
     */
    JsonNode fetch(DroverClient client, String path, Map<String, String> filters, Output out) {
        Integer pageSize = limit == null && all ? Integer.valueOf(MAX_PAGE) : limit;
        JsonNode page = client.send("GET", path + query(filters, pageSize, cursor), null);
        if (!all) {
            String next = page.path("next_cursor").asText(null);
            if (next != null && !out.json()) {
                out.hint("More results: add --cursor " + next + ", or --all.");
            }
            return page;
        }
        ObjectNode merged = client.mapper().createObjectNode();
        ArrayNode data = merged.putArray("data");
        String current = cursor;
        while (true) {
            if (page.path("data") instanceof ArrayNode rows) {
                data.addAll(rows);
            }
            String next = page.path("next_cursor").asText(null);
            // A cursor that does not move would loop forever; stop rather than trust it.
            if (next == null || next.isEmpty() || next.equals(current)) {
                break;
            }
            current = next;
            page = client.send("GET", path + query(filters, pageSize, next), null);
        }
        merged.putNull("next_cursor");
        return merged;
    }

    private static String query(Map<String, String> filters, Integer limit, String cursor) {
        Map<String, String> params = new LinkedHashMap<>(filters);
        params.put("limit", limit == null ? null : limit.toString());
        params.put("cursor", cursor);
        StringJoiner q = new StringJoiner("&", "?", "");
        q.setEmptyValue("");
        params.forEach((name, value) -> {
            if (value != null) {
                q.add(name + "=" + JsonArgs.segment(value));
            }
        });
        return q.toString();
    }
}
