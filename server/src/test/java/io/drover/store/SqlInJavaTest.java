package io.drover.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * SQL lives in {@code src/main/resources/sql/*.sql} as named statements ({@link Sql}), where
 * {@link SqlStatementsTest} prepares each one against the schema. This test fails when a Java source
 * file under {@code src/main/java} prepares its own statement or holds SQL text: a text block that
 * starts with an SQL command, or such a string literal handed to JDBC or kept in a String.
 */
class SqlInJavaTest {
    private static final Path SOURCES = Path.of("src/main/java");

    /** Files that may keep SQL in Java, each with the reason. Keep it short. */
    private static final Map<String, String> EXCEPTIONS = Map.of(
            "io/drover/store/Statement.java", "the one place that prepares a named statement's JDBC text",
            "io/drover/store/EmbeddedDatabase.java", "creates the database on the maintenance database before "
                    + "any migration; CREATE DATABASE takes an identifier, which cannot be a parameter",
            "io/drover/store/Db.java", "the queue pool's session setting (plan_cache_mode), given to the pool as "
                    + "its connection init SQL",
            "io/drover/dispatch/PgListener.java", "LISTEN on the listener's own dedicated connection, once per "
                    + "(re)connect",
            "io/drover/retention/EventPartitions.java", "DDL that names a run_events partition and its bounds "
                    + "(CREATE, ATTACH, DROP): identifiers and partition bounds cannot be parameters; its queries "
                    + "are named statements in retention.sql",
            "db/migration/V17__run_events_partitioned.java", "a Flyway migration (SQL by nature) that recreates "
                    + "the indexes and triggers it reads from the catalog, in three transactions");

    /** Packages not converted yet, each with the reason (none left). */
    private static final Map<String, String> NOT_YET = Map.of();

    private static final String COMMAND = "(SELECT|INSERT|UPDATE|DELETE|WITH|LISTEN|NOTIFY|UNLISTEN|SET|CREATE|ALTER"
            + "|DROP|TRUNCATE|COPY|LOCK|VACUUM|ANALYZE)\\b";
    /** A JDBC call that prepares or runs SQL it is given. */
    private static final Pattern JDBC_CALL = Pattern.compile(
            "\\b(prepareStatement|prepareCall|createStatement|nativeSQL)\\s*\\(");
    /** A text block whose first word is an SQL command. */
    private static final Pattern TEXT_BLOCK = Pattern.compile("\"\"\"\\s*\\n\\s*" + COMMAND);
    /** SQL text handed straight to an execute or batch call, or kept in a String variable or constant. */
    private static final Pattern SQL_LITERAL = Pattern.compile(
            "(\\b(execute|executeQuery|executeUpdate|executeLargeUpdate|addBatch)\\s*\\(\\s*|\\bString\\s+\\w+\\s*=\\s*)"
                    + "\"\\s*" + COMMAND);

    @Test
    void noJavaSourceHoldsSqlOutsideTheStatementFiles() throws IOException {
        assertThat(SOURCES.resolve("io/drover/store/Sql.java")).exists();
        List<String> problems = new ArrayList<>();
        for (Path file : javaFiles()) {
            String name = SOURCES.relativize(file).toString().replace('\\', '/');
            if (EXCEPTIONS.containsKey(name) || NOT_YET.keySet().stream().anyMatch(name::startsWith)) {
                continue;
            }
            String text = Files.readString(file);
            find(problems, name, text, JDBC_CALL, "prepares its own statement");
            find(problems, name, text, TEXT_BLOCK, "has SQL in a text block");
            find(problems, name, text, SQL_LITERAL, "has SQL in a string literal");
        }
        assertThat(problems).as("move these statements to a src/main/resources/sql/*.sql file (see io.drover.store.Sql)")
                .isEmpty();
    }

    @Test
    void theCheckFindsEachKindOfInlineSql() {
        List<String> problems = new ArrayList<>();
        find(problems, "a", "try (PreparedStatement ps = c.prepareStatement(SQL_TEXT)) {", JDBC_CALL, "");
        find(problems, "b", "c.prepareStatement(\"\"\"\n        SELECT 1\"\"\")", TEXT_BLOCK, "");
        find(problems, "c", "s.execute(\"LISTEN drover_runs\");", SQL_LITERAL, "");
        find(problems, "d", "static final String Q = \"UPDATE jobs SET x = 1\";", SQL_LITERAL, "");
        // A log line that shows the operator a query is not SQL that Drover runs.
        find(problems, "e", "log.info(\"mail written to the outbox as {} (\" + \"SELECT body FROM mail_outbox\")",
                SQL_LITERAL, "");
        find(problems, "f", "return \"\"\"\n    usage: drover server\"\"\";", TEXT_BLOCK, "");
        assertThat(problems).hasSize(4);
    }

    private static void find(List<String> problems, String name, String text, Pattern pattern, String what) {
        Matcher m = pattern.matcher(text);
        while (m.find()) {
            int line = 1 + (int) text.substring(0, m.start()).chars().filter(ch -> ch == '\n').count();
            problems.add(name + ":" + line + " " + what);
        }
    }

    private static List<Path> javaFiles() throws IOException {
        try (Stream<Path> files = Files.walk(SOURCES)) {
            return files.filter(p -> p.toString().endsWith(".java")).sorted().toList();
        }
    }
}
