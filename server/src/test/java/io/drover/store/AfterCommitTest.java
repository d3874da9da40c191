package io.drover.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.drover.testing.TestDatabase;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One collector per transaction: whatever runs on the transaction's connection adds to it, and
 * the listeners get it once after the commit, on the committing thread; never after a rollback;
 * a failing listener leaves the committed work committed.
 */
class AfterCommitTest {
    static Db db;
    static final List<TxEffects> heard = new ArrayList<>();
    static final AtomicReference<Thread> heardOn = new AtomicReference<>();

    @BeforeAll
    static void start() {
        var pg = TestDatabase.embedded();
        db = new Db(TestDatabase.freshDatabase("AfterCommitTest"), pg.user(), null, 4);
        db.afterCommit(fx -> {
            heard.add(fx);
            heardOn.set(Thread.currentThread());
        });
    }

    @AfterAll
    static void stop() {
        if (db != null) {
            db.close();
        }
    }

    @BeforeEach
    void clear() {
        heard.clear();
    }

    @Test
    void theCollectorOfATransactionIsHeardOnceAfterItsCommit() {
        TxEffects seen = db.tx(c -> {
            db.effects(c).ready("q");
            db.queue().effects(c).delayed(java.time.Instant.EPOCH); // nested use, another pool's Db: the same one
            assertThat(heard).as("nothing before the commit").isEmpty();
            return db.effects(c);
        });
        assertThat(heard).containsExactly(seen);
        assertThat(heardOn.get()).isSameAs(Thread.currentThread());
        assertThat(seen.ready()).containsExactly("q");
        assertThat(seen.earliestDelay()).isEqualTo(java.time.Instant.EPOCH);
    }

    @Test
    void aRolledBackTransactionIsNotHeard() {
        assertThatThrownBy(() -> db.tx(c -> {
            db.effects(c).ready("q");
            throw new IllegalStateException("boom");
        })).hasMessage("boom");
        assertThat(heard).isEmpty();
    }

    @Test
    void aTransactionThatCollectedNothingIsNotHeard() {
        db.tx(c -> 1);
        assertThat(heard).isEmpty();
    }

    @Test
    void aFailingListenerDoesNotFailTheCommittedWork() {
        Db other = new Db(db.jdbcUrl(), TestDatabase.embedded().user(), null, 2);
        try {
            other.afterCommit(fx -> {
                throw new IllegalStateException("listener broke");
            });
            List<TxEffects> second = new ArrayList<>();
            other.afterCommit(second::add);
            int n = other.tx(c -> {
                try (PreparedStatement ps = c.prepareStatement("CREATE TABLE IF NOT EXISTS after_commit_probe (x int)")) {
                    ps.execute();
                }
                other.effects(c).ready("q");
                return 7;
            });
            assertThat(n).isEqualTo(7);
            assertThat(second).as("the next listener still hears it").hasSize(1);
            int rows = other.read(c -> {
                try (var rs = c.createStatement().executeQuery("SELECT count(*) FROM after_commit_probe")) {
                    rs.next();
                    return rs.getInt(1);
                }
            });
            assertThat(rows).as("the table the transaction made is there").isZero();
        } finally {
            other.close();
        }
    }

    @Test
    void whatASavepointRolledBackCollectedIsForgotten() {
        TxEffects seen = db.tx(c -> {
            TxEffects fx = db.effects(c);
            fx.ready("kept");
            fx.count(TxEffects.Count.ENQUEUED, 1);
            TxEffects mark = fx.mark(); // as ScheduleTicker does around each schedule's savepoint
            fx.ready("dropped");
            fx.count(TxEffects.Count.ENQUEUED, 1);
            fx.delayed(java.time.Instant.EPOCH);
            fx.publish("dropped");
            fx.restoreTo(mark);
            return fx;
        });
        assertThat(heard).containsExactly(seen);
        assertThat(seen.ready()).containsExactly("kept");
        assertThat(seen.count(TxEffects.Count.ENQUEUED)).isEqualTo(1);
        assertThat(seen.earliestDelay()).isNull();
        assertThat(seen.published()).isEmpty();
    }

    @Test
    void aConnectionOutsideATransactionHasNoCollector() throws Exception {
        try (var c = db.openDedicated()) {
            assertThatThrownBy(() -> db.effects(c)).isInstanceOf(IllegalStateException.class);
        }
    }
}
