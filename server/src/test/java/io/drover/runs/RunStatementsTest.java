package io.drover.runs;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.store.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The runs' SQL is bound by name (issue 14 item 5): no statement of {@code sql/runs.sql} is left
 * with positional {@code ?}. SqlInJavaTest checks that no class of {@code io.drover.runs} keeps SQL
 * of its own, and SqlStatementsTest prepares each of these statements against the schema.
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
}
