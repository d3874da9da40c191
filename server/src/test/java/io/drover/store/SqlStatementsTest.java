package io.drover.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.runs.Run;
import io.drover.testing.TestServer;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every named statement of every {@code /sql/*.sql} file is prepared against the migrated schema
 * (PostgreSQL parses it and describes its parameters), so a renamed column or a typo fails here, not
 * on the first request that runs the statement.
 */
class SqlStatementsTest {
    /**
     * Words that the code replaces at run time, with a text that makes the statement whole: the
     * trigger's INSERT chooses what it answers (all columns or ids), and the run list adds its optional
     * filters, and so does the audit log's list and export. A new such word must be added here, or this
     * test fails on it.
     */
    private static final java.util.Map<String, String> RUN_TIME_WORDS = java.util.Map.of(
            "INSERTED_COLUMNS", Run.COLUMNS,
            "LIST_FILTERS", "",
            "RUN_FILTERS", "",
            "AUDIT_FILTERS", "");

    private static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(); // loads the stores' statement files, with their placeholders
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void everyStatementPreparesAgainstTheSchema() throws Exception {
        List<String> resources = statementFiles();
        assertThat(resources).isNotEmpty();
        List<String> problems = new ArrayList<>();
        int prepared = 0;
        try (Connection c = server.db().dataSource().getConnection()) {
            for (String resource : resources) {
                Sql sql = Sql.loaded().getOrDefault(resource, null);
                if (sql == null) {
                    sql = Sql.load(resource);
                }
                for (Statement s : sql.statements()) {
                    String jdbc = s.jdbc();
                    for (var word : RUN_TIME_WORDS.entrySet()) {
                        jdbc = jdbc.replace(word.getKey(), word.getValue());
                    }
                    try (PreparedStatement ps = c.prepareStatement(jdbc)) {
                        int described = ps.getParameterMetaData().getParameterCount();
                        if (described != s.placeholderCount()) {
                            problems.add(s + ": " + described + " parameters described, " + s.placeholderCount()
                                    + " written");
                        }
                        prepared++;
                    } catch (SQLException e) {
                        problems.add(s + ": " + e.getMessage());
                    }
                }
            }
        }
        assertThat(problems).isEmpty();
        assertThat(prepared).isGreaterThan(10);
    }

    private static List<String> statementFiles() throws IOException, URISyntaxException {
        Path dir = Path.of(Sql.class.getResource("/sql/").toURI());
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> "/sql/" + p.getFileName()).filter(n -> n.endsWith(".sql")).sorted().toList();
        }
    }
}
