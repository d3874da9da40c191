package io.drover.bench.peers;

import java.sql.Connection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One job system under test, on one fresh database. Every contender runs the same no-op job whose
 * only payload is a long (the enqueue instant in {@link System#nanoTime()} for the latency run), and
 * reports every execution to the {@link Sink}, so that the benchmark counts what really ran.
 */
interface Contender extends AutoCloseable {

    /** Creates the schema and the scheduler on the fresh database; no job is executed yet. */
    void init(String jdbcUrl, int threads, Sink sink) throws Exception;

    /** Enqueues one batch of no-op jobs through the contender's own (batch) API; returns when it is committed. */
    void enqueue(List<Long> payloads) throws Exception;

    /** Starts the workers (the scheduler's executor). */
    void startWorkers() throws Exception;

    /** How many of the {@code enqueued} jobs have their completion durably recorded in the database. */
    long done(Connection c, long enqueued) throws Exception;

    /** Every setting this contender runs with, as written down in docs/benchmarks.md. */
    Map<String, String> settings(int threads);

    @Override
    void close() throws Exception;

    /**
     * Attaches Drover's agent adapter for this engine, built from {@code agent}, when {@link #init}
     * creates the scheduler ("&lt;peer&gt;+agent" contenders: the peer's throughput with the adapter on).
     */
    default void attachAgent(io.drover.agent.DroverAgent.Builder agent) {
        throw new UnsupportedOperationException("no agent adapter for this contender");
    }

    /** The agent's settings for "+agent" contenders, from the system properties Peers gives the child JVM. */
    static io.drover.agent.DroverAgent.Builder agentFromProperties() {
        return io.drover.agent.DroverAgent.builder(System.getProperty("peers.agent.url"),
                System.getProperty("peers.agent.token"));
    }

    static Contender named(String name) {
        if (name.endsWith("+agent")) {
            Contender c = named(name.substring(0, name.length() - "+agent".length()));
            c.attachAgent(agentFromProperties());
            return c;
        }
        return switch (name) {
            case "drover" -> new DroverContender();
            case "db-scheduler" -> new DbSchedulerContender();
            case "jobrunr" -> new JobRunrContender();
            case "quartz" -> new QuartzContender();
            case "raw-sql" -> new RawSqlContender();
            default -> throw new IllegalArgumentException("unknown contender " + name);
        };
    }

    /** Where every contender's job handler reports; static so that JobRunr's and Quartz's job classes reach it. */
    final class Sink {
        static volatile Sink current = new Sink(false);

        final AtomicLong executed = new AtomicLong();
        final boolean latency;
        final ConcurrentLinkedQueue<long[]> latencies = new ConcurrentLinkedQueue<>();

        Sink(boolean latency) {
            this.latency = latency;
        }

        static void executed(long payload) {
            Sink s = current;
            if (s.latency) {
                s.latencies.add(new long[] {payload, System.nanoTime() - payload});
            }
            s.executed.incrementAndGet();
        }
    }
}
