package io.drover.maintenance;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A background loop on its own thread: {@link #runOnce()} then sleep until {@link #nextWaitMs()}
 * passes or {@link #wake()} is called. Start and stop are idempotent; stop before start is fine.
 * An exception in one pass is logged and the loop goes on after a short back-off.
 */
public abstract class Service {
    private final Logger log = LoggerFactory.getLogger(getClass());
    private final String name;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wakeup = lock.newCondition();
    private boolean woken;
    private volatile boolean running;
    private Thread thread;

    protected Service(String name) {
        this.name = name;
    }

    /**
     * One pass of work. The loop calls it; tests call it directly (after moving a test clock)
     * instead of waiting for the loop's next pass.
     */
    public abstract void runOnce() throws Exception;

    /** How long to sleep after a pass, unless woken. */
    protected abstract long nextWaitMs();

    public final synchronized void start() {
        if (running) {
            return;
        }
        running = true;
        thread = Thread.ofPlatform().daemon().name("drover-" + name).start(this::loop);
    }

    public final void stop() {
        Thread t;
        synchronized (this) {
            if (!running) {
                return;
            }
            running = false;
            t = thread;
        }
        wake();
        try {
            t.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public final void wake() {
        lock.lock();
        try {
            woken = true;
            wakeup.signalAll();
        } finally {
            lock.unlock();
        }
    }

    public boolean isRunning() {
        return running;
    }

    private void loop() {
        long failures = 0;
        while (running) {
            long waitMs;
            try {
                runOnce();
                failures = 0;
                waitMs = nextWaitMs();
            } catch (Exception e) {
                failures++;
                if (running) {
                    log.warn("{} pass failed ({} in a row): {}", name, failures, e.toString());
                }
                waitMs = Math.min(5_000, 100L << Math.min(failures, 6));
            }
            sleep(waitMs);
        }
    }

    private void sleep(long ms) {
        lock.lock();
        try {
            long nanos = TimeUnit.MILLISECONDS.toNanos(Math.max(0, ms));
            while (!woken && running && nanos > 0) {
                nanos = wakeup.awaitNanos(nanos);
            }
            woken = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        } finally {
            lock.unlock();
        }
    }
}
