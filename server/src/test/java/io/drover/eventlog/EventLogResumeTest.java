package io.drover.eventlog;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.testing.Await;
import io.drover.testing.TestServer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Issue 17's trap: rows get their seq when they are inserted but become visible when their
 * transaction commits, in another order. Eight writers insert run events and events in
 * transactions held open on purpose (some insert first and commit long after others), some of
 * which roll back; a reader resumes from every id it was handed. It must see each committed event
 * exactly once, in increasing id order, and nothing rolled back.
 */
class EventLogResumeTest {
    private static final int WRITERS = 8;
    private static final int TXS_PER_WRITER = 40;

    @Test
    void aReaderResumingFromEveryIdSeesEachCommittedEventOnceInOrderUnderConcurrentWriters() throws Exception {
        try (TestServer server = TestServer.start()) {
            UUID project = server.db().read(c -> {
                try (var s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT id FROM projects LIMIT 1")) {
                    rs.next();
                    return rs.getObject(1, UUID.class);
                }
            });
            UUID otherProject = UUID.randomUUID(); // rows of another project: never returned for this one
            EventLog log = server.server().eventLog();
            Set<String> committed = ConcurrentHashMap.newKeySet(); // "source:seq"
            AtomicBoolean writing = new AtomicBoolean(true);
            AtomicBoolean giveUp = new AtomicBoolean();

            List<String> seen = new ArrayList<>();
            Set<String> seenKeys = new HashSet<>();
            List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
            Thread reader = Thread.ofPlatform().start(() -> {
                String cursor = null;
                try {
                    while (!giveUp.get() && (writing.get() || seenKeys.size() < committed.size())) {
                        String from = cursor;
                        List<Event> page = server.db().read(c -> log.after(c, from, project,
                                1 + ThreadLocalRandom.current().nextInt(7)));
                        for (Event e : page) {
                            if (!seen.isEmpty()) {
                                assertThat(e.id()).as("ids increase").isGreaterThan(seen.get(seen.size() - 1));
                            }
                            assertThat(e.projectId()).isEqualTo(project);
                            EventId id = EventId.parse(e.id(), "id");
                            String key = id.source() + ":" + id.seq();
                            assertThat(seenKeys.add(key)).as("event %s seen once", key).isTrue();
                            seen.add(e.id());
                            cursor = e.id(); // resume from every id handed out
                        }
                        if (page.isEmpty()) {
                            Thread.sleep(5);
                        }
                    }
                } catch (Throwable t) {
                    failures.add(t);
                }
            });

            List<Thread> writers = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                int writer = w;
                writers.add(Thread.ofPlatform().start(() -> {
                    try (Connection c = DriverManager.getConnection(server.jdbcUrl() + "?user=postgres")) {
                        c.setAutoCommit(false);
                        ThreadLocalRandom rnd = ThreadLocalRandom.current();
                        for (int t = 0; t < TXS_PER_WRITER; t++) {
                            List<String> mine = new ArrayList<>();
                            mine.add("0:" + insertRunEvent(c, project));
                            // Every eighth transaction of a writer inserts first and commits long after the others.
                            boolean late = (t + writer) % 8 == 0;
                            Thread.sleep(late ? 150 + rnd.nextInt(100) : rnd.nextInt(4));
                            if (rnd.nextBoolean()) {
                                mine.add("1:" + insertEvent(c, project));
                            }
                            insertRunEvent(c, otherProject);
                            if (rnd.nextInt(10) == 0) {
                                c.rollback(); // never seen
                            } else {
                                c.commit();
                                committed.addAll(mine);
                            }
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }));
            }
            for (Thread t : writers) {
                t.join();
            }
            writing.set(false);
            reader.join(Duration.ofSeconds(60));
            giveUp.set(true); // a reader that missed an event never catches up: compare what it saw
            reader.join();
            assertThat(failures).isEmpty();
            assertThat(seenKeys).as("every committed event, nothing else").isEqualTo(committed);
            assertThat(committed.size()).isGreaterThan(WRITERS * TXS_PER_WRITER / 2);

            // Resuming after any id (not only the last of a page) gives the same continuation.
            for (int i = 0; i < seen.size(); i += 17) {
                String after = seen.get(i);
                List<Event> again = server.db().read(c -> log.after(c, after, project, 5));
                List<String> expected = seen.subList(i + 1, Math.min(seen.size(), i + 6));
                assertThat(again.stream().map(Event::id).toList()).isEqualTo(expected);
            }
            // The other project's rows are there, and read for it alone.
            List<Event> other = server.db().read(c -> log.after(c, null, otherProject, 10));
            assertThat(other).isNotEmpty().allMatch(e -> e.projectId().equals(otherProject));
        }
    }

    private static long insertRunEvent(Connection c, UUID project) throws Exception {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO run_events (project_id, run_id, type, "
                + "from_status, to_status, attempt) VALUES (?, ?, 'created', NULL, 'queued', 0) RETURNING seq")) {
            ps.setObject(1, project);
            ps.setObject(2, UUID.randomUUID());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private static long insertEvent(Connection c, UUID project) throws Exception {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO log_events (project_id, type, data) "
                + "VALUES (?, 'workflow_run.completed', '{}'::jsonb) RETURNING seq")) {
            ps.setObject(1, project);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
