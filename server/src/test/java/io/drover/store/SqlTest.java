package io.drover.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The named-parameter parser: what is a parameter and what only looks like one. */
class SqlTest {
    private static Statement parse(String text) {
        return Statement.parse("/test.sql", "t", text);
    }

    @Test
    void namedParametersBecomePlaceholdersAndRepeatsShareTheName() {
        Statement s = parse("SELECT * FROM runs WHERE project_id = :project_id AND (id = :id OR replay_of = :id)");
        assertThat(s.jdbc()).isEqualTo("SELECT * FROM runs WHERE project_id = ? AND (id = ? OR replay_of = ?)");
        assertThat(s.parameters()).containsExactly("project_id", "id");
        assertThat(s.positions("id")).containsExactly(2, 3);
        assertThat(s.placeholderCount()).isEqualTo(3);
    }

    @Test
    void castsStringsIdentifiersCommentsAndDollarQuotesAreNotParameters() {
        Statement s = parse("""
                SELECT :a::jsonb, ':b', 'it''s :c', ":d", $$ :e $$, $x$ :f $x$, arr[1:2], arr[lo:hi] -- :g
                /* :h */ FROM t WHERE x = :i""");
        assertThat(s.parameters()).containsExactly("a", "i");
        assertThat(s.jdbc()).startsWith("SELECT ?::jsonb, ':b', 'it''s :c'").endsWith("WHERE x = ?");
    }

    @Test
    void positionalStatementsStayAsTheyAre() {
        Statement s = parse("SELECT 1 WHERE a = ? AND b = ?");
        assertThat(s.jdbc()).isEqualTo("SELECT 1 WHERE a = ? AND b = ?");
        assertThat(s.parameters()).isEmpty();
        assertThat(s.placeholderCount()).isEqualTo(2);
    }

    @Test
    void mixingPositionalAndNamedIsRefused() {
        assertThatThrownBy(() -> parse("SELECT :a, ?")).hasMessageContaining("mixes positional");
    }

    @Test
    void anUnknownNameIsNamedInTheError() {
        assertThatThrownBy(() -> parse("SELECT :a").positions("b")).hasMessageContaining(":b").hasMessageContaining("[a]");
    }
}
