package io.drover.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EventBufferTest {

    private static TaskEvent started(String id) {
        return new TaskEvent(0, "task_started", null, TaskEvent.Task.of("test", id, "job"), null, null);
    }

    @Test
    void givesIncreasingSequenceNumbersAndKeepsEventsUntilAcked() {
        EventBuffer b = new EventBuffer(10);
        long first = b.add(started("a"));
        long second = b.add(started("b"));
        assertThat(second).isEqualTo(first + 1);
        assertThat(first).isGreaterThanOrEqualTo(System.currentTimeMillis() * 1000 - 60_000_000L);

        List<TaskEvent> batch = b.peek(1);
        assertThat(batch).extracting(TaskEvent::seq).containsExactly(first);
        assertThat(b.peek(1)).as("peek leaves the events in place, so a failed send resends the same seqs")
                .extracting(TaskEvent::seq).containsExactly(first);
        b.ack(first);
        assertThat(b.peek(10)).extracting(TaskEvent::seq).containsExactly(second);
        b.ack(second);
        assertThat(b.size()).isZero();
    }

    @Test
    void dropsTheOldestWhenFullAndCountsThem() {
        EventBuffer b = new EventBuffer(3);
        for (int i = 0; i < 5; i++) {
            b.add(started("t" + i));
        }
        assertThat(b.size()).isEqualTo(3);
        assertThat(b.dropped()).isEqualTo(2);
        assertThat(b.peek(10)).extracting(e -> e.task().externalId()).containsExactly("t2", "t3", "t4");
    }

    @Test
    void aSpoolFileCarriesUnsentEventsAndTheirSeqsToTheNextStart(@TempDir Path dir) throws Exception {
        Path spool = dir.resolve("agent.spool");
        EventBuffer before = new EventBuffer(10, spool);
        long a = before.add(started("a"));
        long b = before.add(new TaskEvent(0, "task_failed", null, TaskEvent.Task.of("test", "b", "job").queue("q"),
                TaskEvent.TaskError.of(new IllegalStateException("boom")), null));
        before.ack(a);
        before.spool();
        assertThat(spool).exists();

        EventBuffer after = new EventBuffer(10, spool);
        List<TaskEvent> left = after.peek(10);
        assertThat(left).hasSize(1);
        TaskEvent e = left.get(0);
        assertThat(e.seq()).isEqualTo(b);
        assertThat(e.type()).isEqualTo("task_failed");
        assertThat(e.task().queue()).isEqualTo("q");
        assertThat(e.error().type()).isEqualTo("java.lang.IllegalStateException");
        assertThat(e.error().traceback()).contains("boom");
        assertThat(after.add(started("c"))).as("a new event never reuses a spooled seq").isGreaterThan(b);

        after.ack(Long.MAX_VALUE);
        after.spool();
        assertThat(Files.exists(spool)).as("nothing left, no spool file").isFalse();
    }
}
