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
 * would stay passed over, and the test would fail. The node under test hears no NOTIFY (its
 * LISTEN connection is stopped), so each local notice is the only one: removing any fails its
 * test; a second node on the same database shows the NOTIFY path.
 */
class ClaimCursorTest {
    static final Duration WAIT = Duration.ofSeconds(15);
    static TestServer server;
    static TestServer hearing;
    static RunStore runs;
    static UUID project;
    final AtomicLong clock = new AtomicLong();
    RunFixture fx;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of("DROVER_PUSH_ENABLED", "false"));
        server.server().listener().stop();
        runs = server.server().runs();
        project = projectOf(server);
        hearing = TestServer.startOn(server.jdbcUrl(), Map.of("DROVER_PUSH_ENABLED", "false"));
    }

    @AfterAll
    static void stop() {
        for (TestServer s : new TestServer[] {hearing, server}) {
            if (s != null) {
                s.close();
            }
        }
    }

    @BeforeEach
    void stillClock() {
        runs.setClaimCursors(new ClaimCursors(clock::get));
        hearing.server().runs().setClaimCursors(new ClaimCursors(clock::get));
        fx = new RunFixture(server);
    }

    private static List<String> claim(List<String> queues, int max) {
        return claimOn(runs, queues, max);
    }

    private static List<String> claimOn(RunStore node, List<String> queues, int max) {
        return node.claim(project, "w", queues, max, 60_000).stream().map(r -> r.id().toString()).toList();
    }

    private static List<String> claim(String queue, int max) {
        return claim(List.of(queue), max);
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
                ClaimCursors.Start next = runs.claimCursors().start(project, "held");
                assertThat(next.full()).isFalse();
                assertThat(next.id().toString()).as("the next claim starts at the last run this one took")
                        .isEqualTo(batch.get(99));
                got.addAll(batch);
            }
            assertThat(got).as("every run once, oldest first").containsExactlyElementsOf(ids);
            assertThat(claim("held", 100)).isEmpty();
            hold.rollback();
        }
    }

    /**
     * Claimed on the node that hears NOTIFY: either node's promoter may promote the run, and this
     * node learns of it from its own commit or from the other's NOTIFY; both drop the cursor.
     */
    @Test
    void aDelayedRunPromotedBehindTheCursorIsClaimed() {
        fx.job("promoted", Map.of());
        RunStore claimer = hearing.server().runs();
        java.util.function.Supplier<List<String>> claim = () -> claimOn(claimer, List.of("promoted"), 10);
        // long enough that no promoter can make it ready before the first claim, even on a busy machine
        String late = fx.trigger("promoted", Map.of("delay_ms", 2_000)).get("id").asText();
        List<String> now = trigger("promoted", 3);
        assertThat(claim.get()).containsExactlyElementsOf(now);
        // promoted with its old id, behind the cursor; the wake-up drops the cursor
        assertThat(Await.value("the promoted run", WAIT, claim, l -> !l.isEmpty())).containsExactly(late);
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
        // the local case claims on the node that triggers, which hears no NOTIFY; the other on a
        // node that hears of the late trigger only through NOTIFY
        RunStore claimer = local ? runs : hearing.server().runs();
        java.util.function.Supplier<List<String>> claim = () -> claimOn(claimer, List.of(slug), 10);
        // its ids are made now, before the newer trigger's, but it commits last; the local wake-up
        // comes from its transaction's after-commit work
        String olderId = server.db().tx(c -> {
            String id = runs.triggerIn(c, job, List.of(TriggerRequest.empty()), RunStore.Origin.API).runs().get(0)
                    .id().toString();
            List<String> newer = trigger(slug, 2);
            assertThat(claim.get()).containsExactlyElementsOf(newer);
            return id;
        });
        if (local) {
            assertThat(claim.get()).containsExactly(olderId);
        } else {
            assertThat(Await.value("a claim on the other node", WAIT, claim, l -> !l.isEmpty()))
                    .containsExactly(olderId);
        }
    }

    @Test
    void runsOfOtherPrioritiesThanTheCursorsAreWalkedFromTheirStart() {
        fx.job("prio", Map.of());
        List<String> normal = trigger("prio", 3);
        assertThat(claim("prio", 1)).containsExactly(normal.get(0)); // the cursor: priority 0, normal[0]
        String urgent = fx.trigger("prio", Map.of("priority", 5)).get("id").asText();
        String low = fx.trigger("prio", Map.of("priority", -5)).get("id").asText();
        assertThat(claim("prio", 1)).as("a higher priority goes first").containsExactly(urgent);
        assertThat(claim("prio", 10)).containsExactly(normal.get(1), normal.get(2), low);
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
        fx.job("locked", Map.of());
        List<String> ids = trigger("locked", 2);
        try (Connection c = server.db().openDedicated()) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("SELECT id FROM runs WHERE id = ? FOR UPDATE")) {
                ps.setObject(1, UUID.fromString(ids.get(0)));
                ps.executeQuery().close();
            }
            assertThat(claim("locked", 10)).containsExactly(ids.get(1));
            c.rollback();
        }
        assertThat(claim("locked", 10)).as("behind the cursor, no notice").isEmpty();
        clock.addAndGet(ClaimCursors.FULL_WALK_EVERY_NANOS + 1);
        assertThat(claim("locked", 10)).containsExactly(ids.get(0));
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
