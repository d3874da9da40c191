package io.drover.runs;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.jobs.Job;
import io.drover.testing.Await;
import io.drover.testing.TestServer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Claims that start at this node's cursor ({@link ClaimCursors}) pass over no ready run: not one
 * that comes back into the queue with an old id, not one whose trigger commits after a newer one,
 * not one another queue of the same claim crowded out. The cursors run on a clock the test holds
 * still, so a cursor never ages into a full walk unless a test moves the clock: a run passed over
 * would stay passed over, and the test would fail.
 */
class ClaimCursorTest {
    static final Duration WAIT = Duration.ofSeconds(15);
    static TestServer server;
    static RunStore runs;
    static UUID project;
    final AtomicLong clock = new AtomicLong();
    RunFixture fx;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of("DROVER_PUSH_ENABLED", "false"));
        runs = server.server().runs();
        project = projectOf(server);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @BeforeEach
    void stillClock() {
        runs.setClaimCursors(new ClaimCursors(clock::get));
        fx = new RunFixture(server);
    }

    private static List<String> claim(List<String> queues, int max) {
        return runs.claim(project, "w", queues, max, 60_000).stream().map(r -> r.id().toString()).toList();
    }

    private static List<String> claim(String queue, int max) {
        return claim(List.of(queue), max);
    }

    private static List<String> claimAtLeastOne(String queue) {
        return Await.value("a claim of " + queue, WAIT, () -> claim(queue, 10), l -> !l.isEmpty());
    }

    private List<String> trigger(String slug, int n) {
        return fx.triggerBatch(slug, IntStream.range(0, n).<Map<String, ?>>mapToObj(i -> Map.of()).toList());
    }

    @Test
    void underAHeldHorizonClaimsGoOnFromTheLastRunClaimedInOrder() throws Exception {
        fx.job("held", Map.of());
        try (Connection hold = server.db().openDedicated()) {
            hold.setAutoCommit(false);
            try (Statement s = hold.createStatement()) {
                s.execute("SELECT txid_current()"); // nothing that dies from now on can be vacuumed
            }
            List<String> ids = trigger("held", 300);
            List<String> got = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                List<String> batch = claim("held", 100);
                // the next claim starts at the last run this one took, or before it: the node's own
                // NOTIFY of the trigger may arrive after this claim and lower the cursor to its first id
                ClaimCursors.Start next = runs.claimCursors().start(project, "held");
                assertThat(next.full()).isFalse();
                assertThat(ClaimCursors.compare(next.id(), UUID.fromString(batch.get(99)))).isNotPositive();
                assertThat(ClaimCursors.compare(next.id(), UUID.fromString(ids.get(0)))).isNotNegative();
                got.addAll(batch);
            }
            assertThat(got).as("every run once, oldest first").containsExactlyElementsOf(ids);
            assertThat(claim("held", 100)).isEmpty();
            hold.rollback();
        }
    }

    @Test
    void aDelayedRunPromotedBehindTheCursorIsClaimed() {
        fx.job("promoted", Map.of());
        String late = fx.trigger("promoted", Map.of("delay_ms", 300)).get("id").asText();
        List<String> now = trigger("promoted", 3);
        assertThat(claim("promoted", 10)).containsExactlyElementsOf(now);
        // the promoter makes it ready with its old id, behind the cursor; the wake-up drops the cursor
        assertThat(claimAtLeastOne("promoted")).containsExactly(late);
    }

    @Test
    void aRunGivenBackBehindTheCursorIsClaimed() {
        fx.job("given-back", Map.of());
        List<String> ids = trigger("given-back", 3);
        assertThat(claim("given-back", 3)).containsExactlyElementsOf(ids);
        runs.release(project, UUID.fromString(ids.get(0)), "w");
        assertThat(claim("given-back", 10)).containsExactly(ids.get(0));
    }

    @Test
    void aTriggerThatCommitsAfterANewerOneIsClaimed() throws Exception {
        assertLateTriggerClaimed("late-local", true);
    }

    /** As on another node: this node hears of the commit only through NOTIFY. */
    @Test
    void aTriggerThatCommitsAfterANewerOneOnAnotherNodeIsClaimed() throws Exception {
        assertLateTriggerClaimed("late-remote", false);
    }

    private void assertLateTriggerClaimed(String slug, boolean local) throws Exception {
        fx.job(slug, Map.of());
        Job job = runs.jobStore().get(project, slug);
        try (Connection c = server.db().openDedicated()) {
            c.setAutoCommit(false);
            // its ids are made now, before the newer trigger's, but it commits last
            RunStore.Pending older = runs.triggerIn(c, job, List.of(TriggerRequest.empty()), RunStore.Origin.API);
            String olderId = older.triggered().runs().get(0).id().toString();
            List<String> newer = trigger(slug, 2);
            assertThat(claim(slug, 10)).containsExactlyElementsOf(newer);
            c.commit();
            if (local) {
                runs.afterTrigger(older);
                assertThat(claim(slug, 10)).containsExactly(olderId);
            } else {
                assertThat(claimAtLeastOne(slug)).containsExactly(olderId);
            }
        }
    }

    @Test
    void aQueueCrowdedOutByAnotherInTheSameClaimKeepsItsPlace() {
        fx.job("crowd-hi", Map.of("priority", 10));
        fx.job("crowd-lo", Map.of());
        List<String> hi = trigger("crowd-hi", 2);
        List<String> lo = trigger("crowd-lo", 2);
        List<String> both = List.of("crowd-hi", "crowd-lo");
        assertThat(claim(both, 2)).as("higher priority first").containsExactlyElementsOf(hi);
        assertThat(claim(both, 10)).containsExactlyElementsOf(lo);
    }

    /**
     * The one case no notice covers: a run another transaction held locked while a claim passed it,
     * then let go without changing it. It waits for the next full walk, at most a second.
     */
    @Test
    void aRunPassedOverWhileLockedIsClaimedByTheNextFullWalk() throws Exception {
        // on a node that hears no NOTIFY: its own, of the trigger, could come after the first claim
        // and lower the cursor to the locked run, which would then be claimed at once
        TestServer deaf = TestServer.start(Map.of("DROVER_PUSH_ENABLED", "false"));
        try {
            deaf.server().listener().stop();
            RunStore deafRuns = deaf.server().runs();
            deafRuns.setClaimCursors(new ClaimCursors(clock::get));
            UUID deafProject = projectOf(deaf);
            RunFixture deafFx = new RunFixture(deaf);
            deafFx.job("locked", Map.of());
            List<String> ids = deafFx.triggerBatch("locked", List.of(Map.of(), Map.of()));
            java.util.function.Supplier<List<String>> claim = () -> deafRuns.claim(deafProject, "w",
                    List.of("locked"), 10, 60_000).stream().map(r -> r.id().toString()).toList();
            try (Connection c = deaf.db().openDedicated()) {
                c.setAutoCommit(false);
                try (PreparedStatement ps = c.prepareStatement("SELECT id FROM runs WHERE id = ? FOR UPDATE")) {
                    ps.setObject(1, UUID.fromString(ids.get(0)));
                    ps.executeQuery().close();
                }
                assertThat(claim.get()).containsExactly(ids.get(1));
                c.rollback();
            }
            assertThat(claim.get()).as("behind the cursor, no notice").isEmpty();
            clock.addAndGet(ClaimCursors.FULL_WALK_EVERY_NANOS + 1);
            assertThat(claim.get()).containsExactly(ids.get(0));
        } finally {
            deaf.close();
        }
    }

    static UUID projectOf(TestServer s) {
        return s.db().read(c -> {
            try (Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT id FROM projects LIMIT 1")) {
                rs.next();
                return rs.getObject(1, UUID.class);
            }
        });
    }
}
