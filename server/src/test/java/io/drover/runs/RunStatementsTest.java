package io.drover.runs;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.store.Statement;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The runs' SQL is all in {@code sql/runs.sql} and bound by name (issue 14 item 5): no statement
 * there is left with positional {@code ?}, and no class of {@code io.drover.runs} prepares SQL text
 * of its own. (SqlStatementsTest prepares each of these statements against the schema.)
 */
class RunStatementsTest {

    @Test
    void everyRunStatementHasNamedParameters() {
        List<String> positional = new ArrayList<>();
        for (Statement s : RunSql.SQL.statements()) {
            // A statement with parameters has either names or positional ?, never both (Statement.parse).
            if (s.placeholderCount() > 0 && s.parameters().isEmpty()) {
                positional.add(s.name());
            }
        }
        assertThat(positional).isEmpty();
        assertThat(RunSql.SQL.statements()).extracting(Statement::name)
                .contains("claim", "insert_runs", "complete_batch", "heartbeat", "admission_candidates",
                        "reaper_try_lock");
    }

    @Test
    void noClassOfTheRunsPackagePreparesItsOwnSql() throws IOException {
        Path dir = Path.of("src/main/java/io/drover/runs");
        assertThat(dir).isDirectory();
        List<String> inline = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
                String text = Files.readString(f);
                if (text.contains("prepareStatement(") || text.contains("createStatement(")) {
                    inline.add(f.getFileName().toString());
                }
            }
        }
        assertThat(inline).isEmpty();
    }
}
