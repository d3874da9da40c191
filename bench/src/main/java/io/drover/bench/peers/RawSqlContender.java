package io.drover.bench.peers;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The ceiling: the same enqueue -> claim -> complete cycle as plain batched JDBC, no framework. One
 * multi-row INSERT per batch; claims of up to the free worker slots with UPDATE ... FOR UPDATE SKIP
 * LOCKED on a partial index; completions batched into one UPDATE per round. Durable like the others
 * (every statement commits with synchronous_commit on).
 */
final class RawSqlContender implements Contender {
    private HikariDataSource ds;
    private int threads;
    private ExecutorService workers;
    private final Semaphore slots = new Semaphore(0);
    private final LinkedBlockingQueue<Long> finished = new LinkedBlockingQueue<>();
    private volatile boolean running;
    private final List<Thread> loops = new ArrayList<>();

    @Override
    public void init(String jdbcUrl, int threads, Sink sink) throws Exception {
        this.threads = threads;
        ds = Pools.pool(jdbcUrl, threads, "raw-sql");
        Pools.exec(ds, """
                CREATE TABLE raw_jobs (id bigserial PRIMARY KEY, payload bigint NOT NULL,
                  status smallint NOT NULL DEFAULT 0, created_at timestamptz NOT NULL DEFAULT now(),
                  finished_at timestamptz) WITH (fillfactor = 70);
                CREATE INDEX raw_jobs_queued ON raw_jobs (id) WHERE status = 0;""");
    }

    @Override
    public void enqueue(List<Long> payloads) throws Exception {
        try (Connection c = ds.getConnection();
                PreparedStatement ps = c.prepareStatement("INSERT INTO raw_jobs (payload) SELECT unnest(?::bigint[])")) {
            Array a = c.createArrayOf("bigint", payloads.toArray());
            ps.setArray(1, a);
            ps.executeUpdate();
        }
    }

    @Override
    public void startWorkers() {
        running = true;
        slots.release(threads);
        workers = Executors.newFixedThreadPool(threads);
        Thread claimer = Thread.ofPlatform().name("raw-claim").start(this::claimLoop);
        Thread completer = Thread.ofPlatform().name("raw-complete").start(this::completeLoop);
        loops.add(claimer);
        loops.add(completer);
    }

    private void claimLoop() {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("""
                UPDATE raw_jobs SET status = 1 WHERE id IN (
                  SELECT id FROM raw_jobs WHERE status = 0 ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED)
                RETURNING id, payload""")) {
            while (running) {
                slots.acquire();
                int n = 1 + slots.drainPermits();
                ps.setInt(1, n);
                int got = 0;
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        long id = rs.getLong(1);
                        long payload = rs.getLong(2);
                        got++;
                        workers.execute(() -> {
                            Sink.executed(payload);
                            finished.add(id);
                            slots.release();
                        });
                    }
                }
                if (got < n) {
                    slots.release(n - got);
                }
                if (got == 0) {
                    Thread.sleep(10); // poll interval when the queue is empty
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            if (running) {
                e.printStackTrace();
            }
        }
    }

    private void completeLoop() {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
                "UPDATE raw_jobs SET status = 2, finished_at = now() WHERE id = ANY(?)")) {
            List<Long> batch = new ArrayList<>();
            while (running) {
                Long first = finished.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.clear();
                batch.add(first);
                finished.drainTo(batch, 999);
                ps.setArray(1, c.createArrayOf("bigint", batch.toArray()));
                ps.executeUpdate();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            if (running) {
                e.printStackTrace();
            }
        }
    }

    @Override
    public long done(Connection c, long enqueued) throws Exception {
        try (var s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM raw_jobs WHERE status = 2")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Override
    public Map<String, String> settings(int threads) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("table", "raw_jobs (bigserial id, payload, status, created_at, finished_at), fillfactor 70, partial index on id WHERE status = 0");
        m.put("enqueue", "one INSERT ... SELECT unnest(?::bigint[]) per batch");
        m.put("claim", "one claimer thread: UPDATE ... WHERE id IN (SELECT ... ORDER BY id LIMIT free slots FOR UPDATE SKIP LOCKED) RETURNING; 10 ms sleep when empty");
        m.put("workers", threads + " executor threads");
        m.put("complete", "one completer thread: UPDATE ... SET status = 2 WHERE id = ANY(?), up to 1,000 ids per statement");
        m.put("pool", "HikariCP, " + Pools.size(threads) + " connections");
        m.put("done", "status = 2");
        return m;
    }

    @Override
    public void close() throws Exception {
        running = false;
        for (Thread t : loops) {
            t.join(5000);
        }
        if (workers != null) {
            workers.shutdownNow();
        }
        if (ds != null) {
            ds.close();
        }
    }
}
