package io.drover.client;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Threads for a client built for Java 17 that may run on 21+. Handlers and other short-lived
 * tasks get a virtual thread when the JVM has them ({@code Thread.ofVirtual()}, found by
 * reflection once) and a daemon platform thread otherwise; long-lived loops always get a daemon
 * platform thread. {@link Thread#join(Duration)} and an {@code AutoCloseable} executor are 19+,
 * hence {@link #join} and {@link #shutdownAndWait}.
 */
final class Threads {

    /**
     * {@code Thread.ofVirtual()}, {@code Thread.Builder.name(String)} and
     * {@code Thread.Builder.unstarted(Runnable)} as handles, or nulls on a JVM without virtual
     * threads. A builder is not thread safe, so each thread gets its own.
     */
    private static final MethodHandle[] VIRTUAL = virtualHandles();
    private static final MethodHandle OF_VIRTUAL = VIRTUAL[0];
    private static final MethodHandle NAME = VIRTUAL[1];
    private static final MethodHandle UNSTARTED = VIRTUAL[2];

    private Threads() {}

    /** @return whether short-lived tasks run on virtual threads in this JVM */
    static boolean virtualAvailable() {
        return OF_VIRTUAL != null;
    }

    /** @return a daemon platform thread named {@code name}, started */
    static Thread startDaemon(String name, Runnable task) {
        Thread thread = new Thread(task, name);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    /** @return a virtual thread (or a daemon platform thread before Java 21) named {@code name}, not started */
    static Thread unstartedShortLived(String name, Runnable task) {
        if (OF_VIRTUAL != null) {
            try {
                Object builder = (Object) OF_VIRTUAL.invokeExact();
                builder = (Object) NAME.invokeExact(builder, name);
                return (Thread) UNSTARTED.invokeExact(builder, task);
            } catch (Throwable e) {
                // Not expected once the handle was found; fall back rather than lose the task.
            }
        }
        Thread thread = new Thread(task, name);
        thread.setDaemon(true);
        return thread;
    }

    /** @return a started thread as of {@link #unstartedShortLived} */
    static Thread startShortLived(String name, Runnable task) {
        Thread thread = unstartedShortLived(name, task);
        thread.start();
        return thread;
    }

    /** An executor with one new short-lived thread per task; close it with {@link #shutdownAndWait}. */
    static ExecutorService perTaskExecutor(String name) {
        return Executors.newCachedThreadPool(task -> unstartedShortLived(name, task));
    }

    /**
     * Waits for {@code thread} to end, at most {@code timeout}; unlike {@code Thread.join(0)} a zero
     * or negative timeout does not wait at all.
     *
     * @return whether the thread has ended
     */
    static boolean join(Thread thread, Duration timeout) throws InterruptedException {
        long nanos = timeout.toNanos();
        if (nanos > 0) {
            thread.join(nanos / 1_000_000, (int) (nanos % 1_000_000));
        }
        return !thread.isAlive();
    }

    /**
     * What {@code ExecutorService.close()} does on 19+: no new tasks, then waits for those submitted
     * to finish. Interrupted meanwhile, it interrupts the tasks, still waits for them, and sets the
     * caller's interrupt status again.
     */
    static void shutdownAndWait(ExecutorService executor) {
        executor.shutdown();
        boolean interrupted = false;
        while (true) {
            try {
                if (executor.awaitTermination(1, TimeUnit.DAYS)) {
                    break;
                }
            } catch (InterruptedException e) {
                if (!interrupted) {
                    executor.shutdownNow();
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static MethodHandle[] virtualHandles() {
        try {
            MethodHandles.Lookup lookup = MethodHandles.publicLookup();
            Class<?> builder = Class.forName("java.lang.Thread$Builder");
            Class<?> ofVirtual = Class.forName("java.lang.Thread$Builder$OfVirtual");
            MethodHandle create = lookup.findStatic(Thread.class, "ofVirtual", MethodType.methodType(ofVirtual))
                    .asType(MethodType.methodType(Object.class));
            MethodHandle name = lookup.findVirtual(builder, "name", MethodType.methodType(builder, String.class))
                    .asType(MethodType.methodType(Object.class, Object.class, String.class));
            MethodHandle unstarted = lookup.findVirtual(builder, "unstarted",
                            MethodType.methodType(Thread.class, Runnable.class))
                    .asType(MethodType.methodType(Thread.class, Object.class, Runnable.class));
            return new MethodHandle[] {create, name, unstarted};
        } catch (ReflectiveOperationException | RuntimeException e) {
            return new MethodHandle[3];
        }
    }
}
