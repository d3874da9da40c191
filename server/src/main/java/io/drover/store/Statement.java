package io.drover.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One named statement of a {@link Sql} file: its text as written (with {@code :name} parameters)
 * and as JDBC runs it ({@code ?} in their place), with the positions of each parameter name.
 *
 * <p>The parser knows enough SQL not to take for a parameter what is not one: {@code ::type} casts,
 * text in single quotes, quoted identifiers, dollar-quoted bodies and comments are skipped.
 */
public final class Statement {
    private final String resource;
    private final String name;
    private final String text;
    private final String jdbc;
    /** Each parameter name with the 1-based JDBC positions where it stands, in order of first use. */
    private final Map<String, int[]> positions;
    private final int count;

    private Statement(String resource, String name, String text, String jdbc, Map<String, int[]> positions,
            int count) {
        this.resource = resource;
        this.name = name;
        this.text = text;
        this.jdbc = jdbc;
        this.positions = positions;
        this.count = count;
    }

    static Statement parse(String resource, String name, String text) {
        StringBuilder out = new StringBuilder(text.length());
        Map<String, List<Integer>> found = new LinkedHashMap<>();
        int n = text.length();
        int index = 0;
        boolean positional = false;
        int i = 0;
        while (i < n) {
            char ch = text.charAt(i);
            if (ch == '\'' || ch == '"') {
                int end = text.indexOf(ch, i + 1);
                while (end >= 0 && end + 1 < n && text.charAt(end + 1) == ch) { // '' and "" escapes
                    end = text.indexOf(ch, end + 2);
                }
                end = end < 0 ? n : end + 1;
                out.append(text, i, end);
                i = end;
            } else if (ch == '-' && i + 1 < n && text.charAt(i + 1) == '-') {
                int end = text.indexOf('\n', i);
                end = end < 0 ? n : end;
                out.append(text, i, end);
                i = end;
            } else if (ch == '/' && i + 1 < n && text.charAt(i + 1) == '*') {
                int end = text.indexOf("*/", i + 2);
                end = end < 0 ? n : end + 2;
                out.append(text, i, end);
                i = end;
            } else if (ch == '$' && dollarTag(text, i) != null) {
                String tag = dollarTag(text, i);
                int end = text.indexOf(tag, i + tag.length());
                end = end < 0 ? n : end + tag.length();
                out.append(text, i, end);
                i = end;
            } else if (ch == ':' && i + 1 < n && text.charAt(i + 1) == ':') {
                out.append("::");
                i += 2;
            } else if (ch == ':' && i + 1 < n && Character.isLetter(text.charAt(i + 1))
                    && (i == 0 || !isIdentifierPart(text.charAt(i - 1)))) {
                int end = i + 1;
                while (end < n && isIdentifierPart(text.charAt(end))) {
                    end++;
                }
                found.computeIfAbsent(text.substring(i + 1, end), k -> new ArrayList<>()).add(++index);
                out.append('?');
                i = end;
            } else {
                if (ch == '?') {
                    positional = true;
                    index++;
                }
                out.append(ch);
                i++;
            }
        }
        if (positional && !found.isEmpty()) {
            throw new IllegalStateException("statement '" + name + "' in " + resource
                    + " mixes positional ? with named parameters " + found.keySet());
        }
        Map<String, int[]> positions = new LinkedHashMap<>();
        found.forEach((k, v) -> positions.put(k, v.stream().mapToInt(Integer::intValue).toArray()));
        return new Statement(resource, name, text, out.toString(), positions, index);
    }

    private static boolean isIdentifierPart(char c) {
        return Character.isLetterOrDigit(c) || c == '_';
    }

    /** The dollar-quote tag starting at {@code i} ({@code $$} or {@code $tag$}), or null. */
    private static String dollarTag(String text, int i) {
        int j = i + 1;
        while (j < text.length() && (Character.isLetter(text.charAt(j)) || text.charAt(j) == '_')) {
            j++;
        }
        if (j < text.length() && text.charAt(j) == '$' && (i == 0 || !isIdentifierPart(text.charAt(i - 1)))) {
            return text.substring(i, j + 1);
        }
        return null;
    }

    /** A copy with {@code word} replaced by {@code replacement} in the text (e.g. a column list). */
    public Statement replace(String word, String replacement) {
        return parse(resource, name, text.replace(word, replacement));
    }

    public String name() {
        return name;
    }

    public String resource() {
        return resource;
    }

    /** The text as written in the file, with {@code :name} parameters. */
    public String text() {
        return text;
    }

    /** The text as JDBC runs it. */
    public String jdbc() {
        return jdbc;
    }

    /** The parameter names, in order of first use (empty for a positional statement). */
    public java.util.Set<String> parameters() {
        return positions.keySet();
    }

    /** How many {@code ?} JDBC sees. */
    public int placeholderCount() {
        return count;
    }

    int[] positions(String parameter) {
        int[] p = positions.get(parameter);
        if (p == null) {
            throw new IllegalArgumentException("statement '" + name + "' in " + resource + " has no parameter :"
                    + parameter + " (it has " + positions.keySet() + ")");
        }
        return p;
    }

    public Query prepare(Connection c) throws SQLException {
        return new Query(this, c.prepareStatement(jdbc));
    }

    @Override
    public String toString() {
        return resource + "#" + name;
    }
}
