package io.drover.runs;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.store.UuidV7;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The bookkeeping of {@link ClaimCursors}; ClaimCursorTest shows the claims it steers, on PostgreSQL. */
class ClaimCursorsTest {
    static final UUID PROJECT = UUID.randomUUID();
    final AtomicLong now = new AtomicLong();
    final ClaimCursors cursors = new ClaimCursors(now::get);

    @Test
    void aQueueWithoutACursorIsWalkedFromTheStart() {
        ClaimCursors.Start s = cursors.start(PROJECT, "q");
        assertThat(s.full()).isTrue();
        assertThat(s.priority()).isEqualTo(ClaimCursors.START_PRIORITY);
        assertThat(s.id()).isEqualTo(ClaimCursors.START_ID);
    }

    @Test
    void theNextClaimStartsAtTheLastRunClaimed() {
        UUID last = UuidV7.next();
        cursors.claimed(PROJECT, "q", cursors.start(PROJECT, "q"), 5, last);
        ClaimCursors.Start s = cursors.start(PROJECT, "q");
        assertThat(s.full()).isFalse();
        assertThat(s.priority()).isEqualTo(5);
        assertThat(s.id()).isEqualTo(last);
        // another project's queue of the same name has its own cursor
        assertThat(cursors.start(UUID.randomUUID(), "q").full()).isTrue();
    }

    @Test
    void aTriggerLowersTheCursorToItsFirstIdAndNeverRaisesIt() {
        UUID older = UuidV7.next();
        UUID last = UuidV7.next();
        UUID newer = UuidV7.next();
        cursors.claimed(PROJECT, "q", cursors.start(PROJECT, "q"), 0, last);

        cursors.ready(List.of("q@" + newer));
        assertThat(cursors.start(PROJECT, "q").id()).isEqualTo(last);
        cursors.ready(List.of("other@" + older, "!http"));
        assertThat(cursors.start(PROJECT, "q").id()).isEqualTo(last);
        cursors.ready(List.of("q@" + older));
        assertThat(cursors.start(PROJECT, "q").id()).isEqualTo(older);
        assertThat(cursors.start(PROJECT, "q").full()).isFalse();
    }

    @Test
    void runsBackInTheQueueDropTheCursor() {
        cursors.claimed(PROJECT, "q", cursors.start(PROJECT, "q"), 0, UuidV7.next());
        cursors.ready(List.of("q"));
        assertThat(cursors.start(PROJECT, "q").full()).isTrue();

        cursors.claimed(PROJECT, "q", cursors.start(PROJECT, "q"), 0, UuidV7.next());
        cursors.ready(List.of("q@not-a-uuid"));
        assertThat(cursors.start(PROJECT, "q").full()).as("a payload it cannot read drops it").isTrue();

        cursors.claimed(PROJECT, "q", cursors.start(PROJECT, "q"), 0, UuidV7.next());
        cursors.resetAll();
        assertThat(cursors.start(PROJECT, "q").full()).isTrue();
    }

    @Test
    void aTriggerCommittedDuringAClaimHoldsTheCursorBackToIt() {
        UUID first = UuidV7.next();
        cursors.claimed(PROJECT, "q", cursors.start(PROJECT, "q"), 0, first);
        UUID behind = UuidV7.next();
        UUID claimedLast = UuidV7.next();
        UUID ahead = UuidV7.next();

        ClaimCursors.Start during = cursors.start(PROJECT, "q");
        cursors.ready(List.of("q@" + behind, "q@" + ahead)); // committed while the claim ran, unseen by it
        cursors.claimed(PROJECT, "q", during, 3, claimedLast);
        ClaimCursors.Start next = cursors.start(PROJECT, "q");
        assertThat(next.id()).as("moved, but not past the late trigger").isEqualTo(behind);
        assertThat(next.priority()).isEqualTo(3);

        // a full walk that a trigger overlapped still counts as one
        now.addAndGet(ClaimCursors.FULL_WALK_EVERY_NANOS + 1);
        ClaimCursors.Start full = cursors.start(PROJECT, "q");
        assertThat(full.full()).isTrue();
        cursors.ready(List.of("q@" + ahead));
        cursors.claimed(PROJECT, "q", full, 0, claimedLast);
        assertThat(cursors.start(PROJECT, "q").full()).isFalse();
        assertThat(cursors.start(PROJECT, "q").id()).isEqualTo(claimedLast);
    }

    @Test
    void aDropDuringAClaimWinsOverWhatTheClaimFound() {
        cursors.claimed(PROJECT, "q", cursors.start(PROJECT, "q"), 0, UuidV7.next());
        ClaimCursors.Start during = cursors.start(PROJECT, "q");
        cursors.ready(List.of("q"));
        cursors.claimed(PROJECT, "q", during, 0, UuidV7.next());
        assertThat(cursors.start(PROJECT, "q").full()).isTrue();

        ClaimCursors.Start full = cursors.start(PROJECT, "q");
        cursors.ready(List.of("q"));
        cursors.foundNone(PROJECT, "q", full, UuidV7.next());
        assertThat(cursors.start(PROJECT, "q").full()).as("a full walk that a drop overlapped does not count")
                .isTrue();
    }

    @Test
    void aClaimThatOverlappedMoreTriggersThanItCanRecallLeavesTheCursor() {
        UUID first = UuidV7.next();
        cursors.claimed(PROJECT, "q", cursors.start(PROJECT, "q"), 0, first);
        ClaimCursors.Start during = cursors.start(PROJECT, "q");
        List<String> many = new ArrayList<>();
        for (int i = 0; i <= ClaimCursors.RECENT_LOWERINGS; i++) {
            many.add("q@" + UuidV7.next());
        }
        cursors.ready(many);
        cursors.claimed(PROJECT, "q", during, 0, UuidV7.next());
        assertThat(cursors.start(PROJECT, "q").id()).isEqualTo(first);
    }

    @Test
    void aCursorIsTrustedForASecondAfterTheFullWalkItGrewFrom() {
        cursors.claimed(PROJECT, "q", cursors.start(PROJECT, "q"), 0, UuidV7.next());
        now.addAndGet(ClaimCursors.FULL_WALK_EVERY_NANOS / 2);
        ClaimCursors.Start s = cursors.start(PROJECT, "q");
        assertThat(s.full()).isFalse();
        cursors.claimed(PROJECT, "q", s, 0, UuidV7.next()); // moving on does not renew the trust
        now.addAndGet(ClaimCursors.FULL_WALK_EVERY_NANOS / 2 + 1);
        ClaimCursors.Start stale = cursors.start(PROJECT, "q");
        assertThat(stale.full()).isTrue();
        cursors.claimed(PROJECT, "q", stale, 0, UuidV7.next()); // a full walk does
        assertThat(cursors.start(PROJECT, "q").full()).isFalse();
    }

    @Test
    void anEmptyQueueStartsAtTheIdsMadeFromThen() {
        UUID firstNew = ClaimCursors.firstIdAt(System.currentTimeMillis());
        cursors.foundNone(PROJECT, "q", cursors.start(PROJECT, "q"), firstNew);
        ClaimCursors.Start s = cursors.start(PROJECT, "q");
        assertThat(s.full()).isFalse();
        assertThat(s.priority()).isZero();
        assertThat(s.id()).isEqualTo(firstNew);
        assertThat(ClaimCursors.compare(UuidV7.next(), firstNew)).isPositive();
    }

    @Test
    void aNewNameBeyondTheCapForgetsEveryCursorAndClaimsInProgressMoveNothing() {
        for (int i = 0; i < ClaimCursors.MAX_QUEUES; i++) {
            cursors.claimed(PROJECT, "q" + i, cursors.start(PROJECT, "q" + i), 0, UuidV7.next());
        }
        assertThat(cursors.start(PROJECT, "q7").full()).isFalse();
        ClaimCursors.Start inProgress = cursors.start(PROJECT, "q7");

        ClaimCursors.Start beyond = cursors.start(PROJECT, "one-too-many");
        assertThat(beyond.full()).isTrue();
        cursors.claimed(PROJECT, "one-too-many", beyond, 0, UuidV7.next());
        assertThat(cursors.start(PROJECT, "one-too-many").full()).as("the new name is kept").isFalse();
        assertThat(cursors.start(PROJECT, "q7").full()).as("the others are forgotten").isTrue();

        cursors.claimed(PROJECT, "q7", inProgress, 0, UuidV7.next());
        assertThat(cursors.start(PROJECT, "q7").full()).as("a claim begun before moves nothing").isTrue();
    }

    @Test
    void aClaimBegunBeforeANewerFullWalkEndedMovesNothing() {
        UUID first = UuidV7.next();
        cursors.claimed(PROJECT, "q", cursors.start(PROJECT, "q"), 0, first);
        ClaimCursors.Start slow = cursors.start(PROJECT, "q"); // from the cursor
        now.addAndGet(ClaimCursors.FULL_WALK_EVERY_NANOS + 1);
        ClaimCursors.Start full = cursors.start(PROJECT, "q");
        assertThat(full.full()).isTrue();
        UUID fullEnd = UuidV7.next();
        cursors.claimed(PROJECT, "q", full, 0, fullEnd);
        // the slow claim began at `first`, past runs the full walk may have found; its end would
        // hide the rest behind a cursor trusted anew
        cursors.claimed(PROJECT, "q", slow, 0, UuidV7.next());
        assertThat(cursors.start(PROJECT, "q").id()).isEqualTo(fullEnd);
    }

    @Test
    void idsCompareAsPostgresqlOrdersThem() {
        List<UUID> ids = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            ids.add(UuidV7.next());
        }
        for (int i = 1; i < ids.size(); i++) {
            assertThat(ClaimCursors.compare(ids.get(i - 1), ids.get(i))).isNegative();
        }
        // unsigned bytes: a high first bit sorts last (UUID.compareTo would sort it first)
        UUID high = UUID.fromString("80000000-0000-7000-8000-000000000000");
        UUID low = UUID.fromString("7fffffff-ffff-7fff-bfff-ffffffffffff");
        assertThat(ClaimCursors.compare(low, high)).isNegative();
        assertThat(ClaimCursors.compare(high, low)).isPositive();
    }
}
