package io.drover.retention;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.retention.EventPartitions.Partition;
import io.drover.store.UuidV7;
import io.drover.testing.Await;
import io.drover.testing.TestClock;
import io.drover.testing.TestServer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The partitions of run_events (V17) against the real database on a clock the test moves: made
 * ahead by the pass, an insert never fails at a boundary or past the last partition (the default
 * partition takes it, and the row moves into its partition when that is made), and retention drops
 * a partition of the past only when every run with an id in its range is finished and outside its
 * project's window and gone, never the events of a run that still lives.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EventPartitionsTest {
    static final TestClock clock = new TestClock();
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of("DROVER_REAPER_INTERVAL_MS", "3600000", "DROVER_POLL_INTERVAL_MS",
                "3600000", "DROVER_PUSH_ENABLED", "false"), clock);
        server.server().retention().stop(); // the test runs the passes itself
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @BeforeEach
    void realTime() {
        clock.reset();
    }

    static EventPartitions partitions() {
        return server.server().retention().partitions();
    }

    static List<Partition> ranged() {
        return partitions().list().stream().filter(p -> !p.isDefault()).toList();
    }

    /** A UUIDv7 whose timestamp is {@code millis}. */
    static UUID idAt(long millis) {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        return new UUID((millis << 16) | 0x7000 | r.nextInt(4096), (r.nextLong() & 0x3FFFFFFFFFFFFFFFL) | Long.MIN_VALUE);
    }

    @Test
    @Order(1)
    void thePassKeepsPartitionsReadyAhead() throws Exception {
        pass();
        java.time.ZonedDateTime month = clock.instant().atZone(java.time.ZoneOffset.UTC).withDayOfMonth(1)
                .toLocalDate().atStartOfDay(java.time.ZoneOffset.UTC);
        List<Partition> ranged = ranged();
        for (int i = 0; i <= EventPartitions.AHEAD; i++) {
            long m = month.plusMonths(i).toInstant().toEpochMilli();
            assertThat(ranged).as("a partition for the month starting " + month.plusMonths(i))
                    .anySatisfy(p -> assertThat((p.lo() == null || p.lo() <= m) && m < p.hi()).isTrue());
        }
        assertThat(partitions().list()).anySatisfy(p -> assertThat(p.isDefault()).isTrue());
    }

    @Test
    @Order(2)
    void aBoundaryCrossedDuringInsertsLosesNoEvent() throws Exception {
        partitions().ensure(clock.instant(), 1);
        Partition last = ranged().stream().max(Comparator.comparing(Partition::hi)).orElseThrow();
        long boundary = last.lo(); // between the last two partitions
        long beyond = last.hi() + Duration.ofDays(800).toMillis(); // past every partition: the default one's
        int n = 600;
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        AtomicInteger written = new AtomicInteger();
        UUID project = UuidV7.next();
        Thread writer = Thread.ofPlatform().start(() -> {
            try (Connection c = DriverManager.getConnection(server.jdbcUrl() + "?user=postgres");
                    PreparedStatement ps = c.prepareStatement(
                            "INSERT INTO run_events (project_id, run_id, type, attempt) VALUES (?, ?, 'boundary', 0)")) {
                for (int i = 0; i < n; i++) {
                    // every other event crosses the boundary between two partitions, one ms at a time
                    long at = i % 2 == 0 ? boundary - n / 2 + i : beyond + i;
                    ps.setObject(1, project);
                    ps.setObject(2, idAt(at));
                    ps.executeUpdate();
                    written.incrementAndGet();
                }
            } catch (Throwable e) {
                failures.add(e);
            }
        });
        // while the events are written, the pass (a month later) attaches new partitions ahead
        Await.until("some events written", Duration.ofSeconds(30), () -> written.get() >= n / 4 || !failures.isEmpty());
        List<String> created = partitions().ensure(Instant.ofEpochMilli(last.hi()).minus(Duration.ofDays(2)),
                EventPartitions.AHEAD);
        writer.join();
        assertThat(failures).as("inserts").isEmpty();
        assertThat(created).isNotEmpty();
        assertThat(count("SELECT count(*) FROM run_events_default WHERE project_id = ?", project))
                .as("past the last partition: in the default one").isEqualTo(n / 2);
        assertThat(count("SELECT count(*) FROM " + last.name() + " WHERE project_id = ?", project))
                .as("across the boundary: half on each side").isEqualTo(n / 4);

        // the partition for the far ids, once made, takes them out of the default partition (a node clock
        // running ahead is what can put them there)
        List<String> later = partitions().ensure(Instant.ofEpochMilli(beyond).minus(Duration.ofDays(40)),
                EventPartitions.AHEAD);
        assertThat(later).isNotEmpty();
        List<Partition> all = ranged();
        List<String[]> rows = rows("SELECT run_id::text, tableoid::regclass::text FROM run_events "
                + "WHERE project_id = '" + project + "'");
        assertThat(rows).hasSize(n);
        for (String[] row : rows) {
            long ms = UUID.fromString(row[0]).getMostSignificantBits() >>> 16;
            Partition home = all.stream().filter(p -> (p.lo() == null || p.lo() <= ms) && ms < p.hi()).findFirst()
                    .orElseThrow();
            assertThat(row[1]).as("partition of " + row[0]).isEqualTo(home.name());
        }
        assertThat(count("SELECT count(*) FROM run_events_default WHERE project_id = ?", project)).isZero();
    }

    @Test
    @Order(3) // last: it moves the clock past the partitions the others look at, and drops them
    void retentionDropsAPartitionOnlyWhenAllItsRunsAreFinishedAndOld() throws Exception {
        UUID project = UuidV7.next();
        exec("INSERT INTO projects (id, slug, name, settings) VALUES (?, ?, 'p', '{\"retention_days\": 7}'::jsonb)",
                project, "parts-" + project);
        partitions().ensure(clock.instant(), 4);
        // three months after the current partitions' start, far enough out that this test alone has runs there
        List<Partition> ranged = ranged();
        Partition m1 = ranged.get(ranged.size() - 3);
        Partition m2 = ranged.get(ranged.size() - 2);
        Partition m3 = ranged.get(ranged.size() - 1);
        long day = Duration.ofDays(1).toMillis();
        List<UUID> oldInM1 = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            oldInM1.add(run(project, idAt(m1.lo() + i), "completed", Instant.ofEpochMilli(m1.lo() + day)));
        }
        UUID longRunning = run(project, idAt(m1.lo() + 10), "executing", null);
        List<UUID> oldInM2 = List.of(run(project, idAt(m2.lo() + 1), "completed", Instant.ofEpochMilli(m2.lo() + day)),
                run(project, idAt(m2.lo() + 2), "failed", Instant.ofEpochMilli(m2.lo() + day)));

        // all three months are past; the run in m3 finished a day ago, inside the 7-day window
        clock.advance(Duration.ofMillis(m3.hi() + 2 * day - clock.instant().toEpochMilli()));
        UUID recentInM3 = run(project, idAt(m3.lo() + 1), "completed", clock.instant().minus(Duration.ofDays(1)));

        Map<String, Long> first = pass();
        assertThat(first.get("run_events_partitions")).as(first.toString()).isGreaterThanOrEqualTo(1);
        assertThat(exists(m2)).as("m2: every run finished and old").isFalse();
        assertThat(exists(m1)).as("m1: a run still executing").isTrue();
        assertThat(exists(m3)).as("m3: a run inside its window").isTrue();
        assertThat(count("SELECT count(*) FROM runs WHERE id = ?", longRunning)).isEqualTo(1);
        assertThat(count("SELECT count(*) FROM run_events WHERE run_id = ?", longRunning))
                .as("the long-running run's events survive").isEqualTo(2);
        for (UUID id : oldInM1) {
            assertThat(count("SELECT count(*) FROM runs WHERE id = ?", id)).isZero();
            assertThat(count("SELECT count(*) FROM run_events WHERE run_id = ?", id))
                    .as("events of a pruned run in a partition that stays: deleted row by row").isZero();
        }
        for (UUID id : oldInM2) {
            assertThat(count("SELECT count(*) FROM runs WHERE id = ?", id)).isZero();
        }
        assertThat(count("SELECT count(*) FROM runs WHERE id = ?", recentInM3)).isEqualTo(1);
        assertThat(count("SELECT count(*) FROM run_events WHERE run_id = ?", recentInM3)).isEqualTo(2);

        // the long-running run finishes (long ago, by the moved clock): m1 goes whole, its events with it
        exec("UPDATE runs SET status = 'completed', finished_at = ? WHERE id = ?",
                Timestamp.from(clock.instant().minus(Duration.ofDays(30))), longRunning);
        Map<String, Long> second = pass();
        assertThat(second.get("runs")).as(second.toString()).isEqualTo(1);
        assertThat(second.get("run_events")).as("left to the partition's drop, not deleted row by row").isZero();
        assertThat(second.get("run_events_partitions")).isGreaterThanOrEqualTo(1);
        assertThat(exists(m1)).isFalse();
        assertThat(count("SELECT count(*) FROM run_events WHERE run_id = ?", longRunning)).isZero();
        assertThat(exists(m3)).as("m3 still has its recent run").isTrue();

        // a week later the last run is out of its window too
        clock.advance(Duration.ofDays(8));
        Map<String, Long> third = pass();
        assertThat(third.get("runs")).as(third.toString()).isEqualTo(1);
        assertThat(exists(m3)).isFalse();
        assertThat(count("SELECT count(*) FROM run_events WHERE project_id = ?", project)).isZero();
    }

    /** A run of {@code status} with two events, made in SQL with the id given. */
    static UUID run(UUID project, UUID id, String status, Instant finishedAt) {
        Timestamp at = Timestamp.from(Instant.ofEpochMilli(id.getMostSignificantBits() >>> 16));
        exec("""
                INSERT INTO runs (id, project_id, job_id, job_slug, job_version, queue, execution, status,
                                  max_attempts, scheduled_at, created_at, finished_at, lease_expires_at)
                VALUES (?, ?, ?, 'j', 1, 'q', 'worker', ?::run_status, 3, ?, ?, ?, ?)""",
                id, project, UUID.randomUUID(), status, at, at, finishedAt == null ? null : Timestamp.from(finishedAt),
                status.equals("executing") ? at : null);
        for (int i = 0; i < 2; i++) {
            exec("INSERT INTO run_events (project_id, run_id, type, attempt) VALUES (?, ?, 'x', 1)", project, id);
        }
        return id;
    }

    static boolean exists(Partition p) {
        return partitions().list().stream().anyMatch(q -> q.name().equals(p.name()));
    }

    static void exec(String sql, Object... args) {
        server.db().tx(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                for (int i = 0; i < args.length; i++) {
                    ps.setObject(i + 1, args[i]);
                }
                ps.executeUpdate();
            }
            return null;
        });
    }

    static long count(String sql, Object... args) {
        return server.db().read(c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                for (int i = 0; i < args.length; i++) {
                    ps.setObject(i + 1, args[i]);
                }
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        });
    }

    static List<String[]> rows(String sql) {
        return server.db().read(c -> {
            List<String[]> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new String[] {rs.getString(1), rs.getString(2)});
                }
            }
            return out;
        });
    }

    /** One pass of ours: while the node's own pass holds the singleton lock, runHourly answers null. */
    private static Map<String, Long> pass() {
        return io.drover.testing.Await.value("a retention pass of ours", java.time.Duration.ofSeconds(30), () -> {
            try {
                return server.server().retention().runHourly();
            } catch (java.sql.SQLException e) {
                throw new IllegalStateException(e);
            }
        }, java.util.Objects::nonNull);
    }
}
