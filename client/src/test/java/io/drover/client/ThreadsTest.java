package io.drover.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The Java 17 stand-ins for Thread.ofVirtual, Thread.join(Duration) and ExecutorService.close. */
class ThreadsTest {

    @Test
    void short_lived_threads_are_virtual_where_the_jvm_has_them_and_named() throws Exception {
        CountDownLatch ran = new CountDownLatch(1);
        Thread thread = Threads.unstartedShortLived("drover-run-x", ran::countDown);
        assertThat(thread.getName()).isEqualTo("drover-run-x");
        assertThat(thread.isDaemon()).isTrue();
        boolean jvmHasVirtual = Runtime.version().feature() >= 21;
        assertThat(Threads.virtualAvailable()).isEqualTo(jvmHasVirtual);
        if (jvmHasVirtual) {
            assertThat((boolean) Thread.class.getMethod("isVirtual").invoke(thread)).isTrue();
        }
        thread.start();
        assertThat(ran.await(5, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void join_with_no_time_left_does_not_wait_and_says_whether_the_thread_ended() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Thread thread = Threads.startDaemon("drover-test-join", () -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertThat(thread.isDaemon()).isTrue();
        assertThat(Threads.join(thread, Duration.ZERO)).isFalse();
        assertThat(Threads.join(thread, Duration.ofMillis(-5))).isFalse();
        assertThat(Threads.join(thread, Duration.ofMillis(20))).isFalse();
        release.countDown();
        assertThat(Threads.join(thread, Duration.ofSeconds(5))).isTrue();
    }

    @Test
    void shutdown_and_wait_returns_after_every_task_ran() {
        ExecutorService executor = Threads.perTaskExecutor("drover-test-release");
        AtomicInteger done = new AtomicInteger();
        for (int i = 0; i < 20; i++) {
            executor.execute(() -> {
                Thread.yield();
                done.incrementAndGet();
            });
        }
        Threads.shutdownAndWait(executor);
        assertThat(executor.isTerminated()).isTrue();
        assertThat(done).hasValue(20);
    }
}
