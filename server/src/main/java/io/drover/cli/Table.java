package io.drover.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * A text table with aligned columns, built from a list of JSON objects. Each column has a header
 * and a function picking its cell out of one object.
 */
public final class Table {
    private final List<String> headers = new ArrayList<>();
    private final List<Function<JsonNode, String>> cells = new ArrayList<>();

    /**
     * Adds a column showing one field as text ({@code -} when missing or null).
     *
     * @param header the column title
     * @param field the JSON field name
     * @return this table
     */
    public Table column(String header, String field) {
        return column(header, row -> Output.text(row.get(field)));
    }

    /**
     * Adds a column computed from the whole row.
     *
     * @param header the column title
     * @param cell computes the cell text from one row
     * @return this table
     */
    public Table column(String header, Function<JsonNode, String> cell) {
        headers.add(header);
        cells.add(cell);
        return this;
    }

    /** Prints the header and one line per row, each column as wide as its widest cell. */
    void print(PrintWriter out, Iterable<JsonNode> rows) {
        List<List<String>> lines = new ArrayList<>();
        lines.add(headers);
        for (JsonNode row : rows) {
            lines.add(cells.stream().map(c -> c.apply(row)).map(Table::oneLine).toList());
        }
        int[] widths = new int[headers.size()];
        for (List<String> line : lines) {
            for (int i = 0; i < widths.length; i++) {
                widths[i] = Math.max(widths[i], line.get(i).length());
            }
        }
        for (List<String> line : lines) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < widths.length; i++) {
                sb.append(line.get(i));
                if (i < widths.length - 1) {
                    sb.append(" ".repeat(widths[i] - line.get(i).length() + 2));
                }
            }
            out.println(sb.toString().stripTrailing());
        }
    }

    private static String oneLine(String s) {
        return s.replaceAll("\\s*\\R\\s*", " ");
    }
}
