package io.drover.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The claim loop's accounting: unfinished runs under concurrency + prefetch, pending outcomes under their cap. */
class InFlightTest {

    private static final ObjectMapper MAPPER = DroverJson.newMapper();

    private static RunContext held(InFlight inFlight, String id) {
        Run run = MAPPER.convertValue(java.util.Map.of("id", id, "job_slug", "j", "attempt", 1), Run.class);
        RunContext ctx = new RunContext(run, "w", MAPPER);
        inFlight.add(ctx);
        return ctx;
    }

    /** One claim's question, with its room given back at once (as if it found nothing). */
    private static int ask(InFlight inFlight, int maxUnfinished, int maxPending, int minRoom, int maxPerClaim)
            throws InterruptedException {
        int room = inFlight.awaitClaimRoom(maxUnfinished, maxPending, minRoom, maxPerClaim, 0);
        inFlight.unreserve(room);
        return room;
    }

    @Test
    void roomIsConcurrencyPlusPrefetchMinusUnfinishedRuns() throws Exception {
        InFlight inFlight = new InFlight();
        assertThat(ask(inFlight, 4, 10, 1, 500)).isEqualTo(4);
        RunContext a = held(inFlight, "a");
        held(inFlight, "b");
        assertThat(ask(inFlight, 4, 10, 1, 500)).isEqualTo(2);
        assertThat(ask(inFlight, 4, 10, 1, 1)).as("capped per claim").isEqualTo(1);
        // A finished run awaiting acknowledgement no longer takes a place.
        assertThat(inFlight.finish(a)).isTrue();
        assertThat(inFlight.pending()).isEqualTo(1);
        assertThat(ask(inFlight, 4, 10, 1, 500)).isEqualTo(3);
        inFlight.remove("a");
        assertThat(inFlight.pending()).isZero();
        assertThat(inFlight.size()).isEqualTo(1);
    }

    @Test
    void tooManyPendingOutcomesStopClaimingUntilOneIsAcknowledged() throws Exception {
        InFlight inFlight = new InFlight();
        RunContext a = held(inFlight, "a");
        RunContext b = held(inFlight, "b");
        inFlight.finish(a);
        inFlight.finish(b);
        assertThat(ask(inFlight, 10, 2, 1, 500)).as("2 pending at a cap of 2").isZero();
        CompletableFuture<Integer> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                return inFlight.awaitClaimRoom(10, 2, 1, 500, 10_000);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        inFlight.remove("a");
        assertThat(waiting.get(10, TimeUnit.SECONDS)).isEqualTo(10);
    }

    @Test
    void withPrefetchAClaimWaitsForHalfThePrefetchUnlessNothingIsUnfinished() throws Exception {
        InFlight inFlight = new InFlight();
        // concurrency 2 + prefetch 4 = 6; the loop asks again once 2 places (prefetch / 2) are free.
        RunContext[] runs = new RunContext[6];
        for (int i = 0; i < 6; i++) {
            runs[i] = held(inFlight, "r" + i);
        }
        inFlight.finish(runs[0]);
        assertThat(ask(inFlight, 6, 100, 2, 500)).as("1 free place, 2 wanted").isZero();
        inFlight.finish(runs[1]);
        assertThat(ask(inFlight, 6, 100, 2, 500)).isEqualTo(2);
        InFlight idle = new InFlight();
        assertThat(ask(idle, 1, 100, 2, 500)).as("an idle worker asks for what fits").isEqualTo(1);
    }

    @Test
    void roomAskedForByAClaimInFlightIsNotAskedForAgain() throws Exception {
        InFlight inFlight = new InFlight();
        // concurrency 2 + prefetch 4 = 6, two claimers: the first takes all 6 places' worth of room.
        assertThat(inFlight.awaitClaimRoom(6, 100, 2, 500, 0)).isEqualTo(6);
        assertThat(inFlight.awaitClaimRoom(6, 100, 2, 500, 0)).as("nothing left for a second claim").isZero();
        // It comes back with 3 runs: they are added, then its reservation is given back.
        for (int i = 0; i < 3; i++) {
            held(inFlight, "r" + i);
        }
        inFlight.unreserve(6);
        assertThat(inFlight.awaitClaimRoom(6, 100, 2, 500, 0)).as("the 3 places it did not fill").isEqualTo(3);
        CompletableFuture<Integer> second = CompletableFuture.supplyAsync(() -> {
            try {
                return inFlight.awaitClaimRoom(6, 100, 2, 500, 10_000);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        inFlight.unreserve(3); // the claim of those 3 found nothing
        assertThat(second.get(10, TimeUnit.SECONDS)).as("a waiting claim wakes when room is given back").isEqualTo(3);
    }

    @Test
    void aRunLostBeforeItsOutcomeIsCountedLeavesNoPendingBehind() {
        InFlight inFlight = new InFlight();
        RunContext a = held(inFlight, "a");
        inFlight.remove("a");          // the heartbeater learns the run is gone
        assertThat(inFlight.finish(a)).as("not abandoned yet, so the outcome is still reported").isTrue();
        assertThat(inFlight.pending()).isZero();
        RunContext b = held(inFlight, "b");
        assertThat(b.tryAbandon()).isTrue();
        assertThat(inFlight.finish(b)).as("abandoned first: no report").isFalse();
        assertThat(inFlight.pending()).isZero();
    }
}
