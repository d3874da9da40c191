package io.drover.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BatchCompleterTest {

    private static final Duration LONG = Duration.ofHours(1);

    private final FakeTransport transport = new FakeTransport();
    private final Recorder recorder = new Recorder();
    private BatchCompleter completer;

    @AfterEach
    void closeCompleter() throws InterruptedException {
        if (completer != null) {
            completer.close(Duration.ofSeconds(5));
        }
    }

    @Test
    void fullBatchesGoOutWithoutWaitingForTheLinger() throws Exception {
        start(10, LONG, 3);

        submit(25);
        await(() -> transport.sent.size() == 2);
        assertThat(transport.sent).as("the last 5 wait for the linger").hasSize(2);
        completer.close(Duration.ofSeconds(5));

        assertThat(transport.sent).extracting(List::size).containsExactly(10, 10, 5);
        assertThat(recorder.acknowledged).extracting(Outcome::runId).containsExactlyElementsOf(runIds(25));
    }

    @Test
    void aLoneOutcomeIsSentOnceTheLingerElapses() {
        start(100, Duration.ofMillis(20), 3);

        submit(1);

        await(() -> recorder.acknowledged.size() == 1);
        assertThat(transport.sent).extracting(List::size).containsExactly(1);
    }

    @Test
    void closeFlushesEverythingQueuedAndThenRefusesNewOutcomes() throws Exception {
        start(100, LONG, 3);

        submit(7);
        completer.close(Duration.ofSeconds(5));

        assertThat(transport.sent).extracting(List::size).containsExactly(7);
        assertThat(completer.submit(Outcome.success("late", null))).isFalse();
    }

    @Test
    void transportErrorsAreRetriedWithoutLosingOutcomes() throws Exception {
        transport.failNext(3, batch -> new DroverTransportException("connection refused", null));
        start(100, LONG, 5);

        submit(5);
        completer.close(Duration.ofSeconds(5));

        assertThat(transport.attempts.get()).isEqualTo(4);
        assertThat(recorder.acknowledged).hasSize(5);
        assertThat(recorder.dropped).isEmpty();
    }

    @Test
    void serverErrorsAreRetriedToo() throws Exception {
        transport.failNext(1, batch -> new DroverApiException(503, "unavailable", "restarting", null));
        start(100, LONG, 5);

        submit(2);
        completer.close(Duration.ofSeconds(5));

        assertThat(recorder.acknowledged).hasSize(2);
    }

    @Test
    void givesUpAfterTheRetryLimitAndSaysSo() throws Exception {
        transport.failNext(Integer.MAX_VALUE, batch -> new DroverTransportException("connection refused", null));
        start(100, LONG, 2);

        submit(4);
        completer.close(Duration.ofSeconds(5));

        assertThat(transport.attempts.get()).isEqualTo(3);
        assertThat(recorder.acknowledged).isEmpty();
        assertThat(recorder.dropped).extracting(Outcome::runId).containsExactlyElementsOf(runIds(4));
    }

    @Test
    void aRequestTheServerRejectsIsNotRetried() throws Exception {
        transport.failNext(Integer.MAX_VALUE, batch -> new DroverApiException(400, "bad_request", "no", null));
        start(100, LONG, 5);

        submit(3);
        completer.close(Duration.ofSeconds(5));

        assertThat(transport.attempts.get()).isEqualTo(1);
        assertThat(recorder.dropped).hasSize(3);
    }

    @Test
    void aBatchOverTheBodyLimitIsSplitUntilItFits() throws Exception {
        transport.rejectWhen = batch -> batch.size() > 2 ? new DroverApiException(413, "too_large", "", null) : null;
        start(5, LONG, 0);

        submit(5);
        completer.close(Duration.ofSeconds(5));

        assertThat(transport.sent).extracting(List::size).containsExactly(2, 1, 2);
        assertThat(recorder.acknowledged).extracting(Outcome::runId).containsExactlyElementsOf(runIds(5));
    }

    @Test
    void aSingleResultOverTheBodyLimitFailsItsRunForGood() throws Exception {
        transport.rejectWhen = batch -> batch.get(0).isSuccess() ? new DroverApiException(413, "too_large", "", null) : null;
        start(1, LONG, 0);

        submit(1);
        completer.close(Duration.ofSeconds(5));

        assertThat(recorder.acknowledged).singleElement().satisfies(o -> {
            assertThat(o.error().type()).isEqualTo("ResultTooLarge");
            assertThat(o.retryable()).isFalse();
        });
    }

    @Test
    void perRunAnswersReachTheCallback() throws Exception {
        transport.answer = outcome -> new OutcomeResult(outcome.runId(), !outcome.runId().equals("r1"),
                RunStatus.CANCELED, null);
        start(100, LONG, 0);

        submit(2);
        completer.close(Duration.ofSeconds(5));

        assertThat(recorder.results).extracting(OutcomeResult::ok).containsExactly(true, false);
    }

    @Test
    void twoSendersKeepASecondBatchMovingWhileTheFirstWaitsForItsAnswer() throws Exception {
        java.util.concurrent.CountDownLatch firstHeld = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch secondSent = new java.util.concurrent.CountDownLatch(1);
        List<List<Outcome>> sent = new CopyOnWriteArrayList<>();
        BatchCompleter.Transport slowFirst = batch -> {
            sent.add(List.copyOf(batch));
            if (batch.get(0).runId().equals("r0")) {
                firstHeld.countDown();
                try {
                    // Answers only once the other sender has sent the next batch.
                    assertThat(secondSent.await(5, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            } else {
                secondSent.countDown();
            }
            return batch.stream().map(o -> new OutcomeResult(o.runId(), true, RunStatus.COMPLETED, null)).toList();
        };
        completer = new BatchCompleter(slowFirst, recorder, 10, LONG, 0, Duration.ofMillis(1), 2);
        completer.start("test-completer");

        submit(10);
        assertThat(firstHeld.await(5, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        for (int i = 10; i < 20; i++) {
            assertThat(completer.submit(Outcome.success("r" + i, null))).isTrue();
        }
        completer.close(Duration.ofSeconds(5));

        assertThat(sent).extracting(List::size).containsExactly(10, 10);
        assertThat(recorder.acknowledged).extracting(Outcome::runId).containsExactlyInAnyOrderElementsOf(runIds(20));
    }

    private void start(int batchSize, Duration linger, int retries) {
        completer = new BatchCompleter(transport, recorder, batchSize, linger, retries, Duration.ofMillis(1));
        completer.start("test-completer");
    }

    private void submit(int count) {
        runIds(count).forEach(id -> assertThat(completer.submit(Outcome.success(id, null))).isTrue());
    }

    private static List<String> runIds(int count) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ids.add("r" + i);
        }
        return ids;
    }

    private static void await(BooleanSupplier condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition within 5 s").isLessThan(deadline);
            Thread.onSpinWait();
        }
    }

    /** Records what reaches the server; can fail a number of calls or reject some batches. */
    private static final class FakeTransport implements BatchCompleter.Transport {
        final List<List<Outcome>> sent = new CopyOnWriteArrayList<>();
        final AtomicInteger attempts = new AtomicInteger();
        final AtomicInteger failuresLeft = new AtomicInteger();
        volatile Function<List<Outcome>, RuntimeException> failure;
        volatile Function<List<Outcome>, RuntimeException> rejectWhen = batch -> null;
        volatile Function<Outcome, OutcomeResult> answer = o -> new OutcomeResult(o.runId(), true, RunStatus.COMPLETED, null);

        void failNext(int times, Function<List<Outcome>, RuntimeException> error) {
            failuresLeft.set(times);
            failure = error;
        }

        @Override
        public List<OutcomeResult> send(List<Outcome> batch) {
            attempts.incrementAndGet();
            if (failuresLeft.getAndDecrement() > 0) {
                throw failure.apply(batch);
            }
            RuntimeException rejection = rejectWhen.apply(batch);
            if (rejection != null) {
                throw rejection;
            }
            sent.add(List.copyOf(batch));
            return batch.stream().map(answer).toList();
        }
    }

    private static final class Recorder implements BatchCompleter.Callback {
        final List<Outcome> acknowledged = new CopyOnWriteArrayList<>();
        final List<OutcomeResult> results = new CopyOnWriteArrayList<>();
        final List<Outcome> dropped = new CopyOnWriteArrayList<>();

        @Override
        public void acknowledged(Outcome outcome, OutcomeResult result) {
            acknowledged.add(outcome);
            results.add(result);
        }

        @Override
        public void dropped(List<Outcome> outcomes, Throwable cause) {
            dropped.addAll(outcomes);
        }
    }
}
