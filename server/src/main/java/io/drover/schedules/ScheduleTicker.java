package io.drover.schedules;

import io.drover.jobs.Job;
import io.drover.jobs.JobStore;
import io.drover.jobs.ScheduleSpec;
import io.drover.maintenance.Service;
import io.drover.runs.RunStore;
import io.drover.runs.TriggerRequest;
import io.drover.store.Db;
import io.drover.store.Query;
import io.drover.store.SqlTime;
import io.drover.store.TxEffects;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fires due schedule ticks. Every node runs it; each due schedule row is locked (SKIP LOCKED) and
 * each tick is recorded in {@code schedule_ticks} under its primary key (schedule, fire time) in
 * the same transaction as its run, so a tick fires exactly once however many nodes share the
 * database. Ticks missed while every node was down are coalesced into one.
 */
public final class ScheduleTicker extends Service {
    private static final Logger log = LoggerFactory.getLogger(ScheduleTicker.class);
    private final Db db;
    private final JobStore jobs;
    private final RunStore runs;
    private final long pollMs;
    private final InstantSource clock;

    public ScheduleTicker(Db db, JobStore jobs, RunStore runs, long pollMs) {
        this(db, jobs, runs, pollMs, InstantSource.system());
    }

    public ScheduleTicker(Db db, JobStore jobs, RunStore runs, long pollMs, InstantSource clock) {
        super("schedules");
        this.db = db;
        this.jobs = jobs;
        this.runs = runs;
        this.pollMs = pollMs;
        this.clock = clock;
    }

    private record Due(UUID id, UUID projectId, UUID jobId, Instant fireAt, String overlap) {}

    @Override
    public void runOnce() {
        while (fireDue(50) == 50) {
            // a full batch: more may be due
        }
    }

    /** Fires up to {@code limit} due ticks; returns how many schedules were handled. */
    public int fireDue(int limit) {
        return db.tx(c -> {
            List<Due> due = new ArrayList<>();
            try (Query q = ScheduleStore.SQL.prepare(c, "due_schedules")) {
                q.set("now", SqlTime.now(clock)).set("limit", limit);
                try (ResultSet rs = q.query()) {
                    while (rs.next()) {
                        due.add(new Due(rs.getObject(1, UUID.class), rs.getObject(2, UUID.class),
                                rs.getObject(3, UUID.class), rs.getTimestamp(4).toInstant(), rs.getString(5)));
                    }
                }
            }
            for (Due d : due) {
                // One broken schedule must not stop the others: each fires under a savepoint.
                // Its after-commit work (wake-ups, metrics) goes with it.
                java.sql.Savepoint sp = c.setSavepoint();
                TxEffects mark = db.effects(c).mark();
                try {
                    fire(c, d);
                    c.releaseSavepoint(sp);
                } catch (SQLException | RuntimeException e) {
                    c.rollback(sp);
                    db.effects(c).restoreTo(mark);
                    log.error("schedule {} of job {} could not fire its tick at {}; it is disabled: {}",
                            d.id(), d.jobId(), d.fireAt(), e.toString());
                    disable(c, d.id());
                }
            }
            return due.size();
        });
    }

    private void fire(Connection c, Due d) throws SQLException {
        Optional<Job> job = jobs.find(c, d.projectId(), d.jobId().toString(), false);
        if (job.isEmpty() || job.get().spec().schedule() == null) {
            ScheduleStore.remove(c, d.jobId());
            return;
        }
        ScheduleSpec spec = job.get().spec().schedule();
        // Claim the tick first: its primary key makes a tick fire once, even if the schedule's
        // next time was moved back onto a tick that already fired.
        try (Query q = ScheduleStore.SQL.prepare(c, "insert_tick")) {
            q.set("schedule_id", d.id()).set("fire_at", d.fireAt()).set("project_id", d.projectId());
            if (q.update() == 0) {
                advance(c, d, spec);
                return;
            }
        }
        List<UUID> live = liveRuns(c, d.id());
        String outcome = "fired";
        UUID runId = null;
        if (!live.isEmpty() && d.overlap().equals("skip")) {
            outcome = "skipped";
        } else {
            if (d.overlap().equals("cancel_running")) {
                for (UUID id : live) {
                    runs.cancelIn(c, d.projectId(), id, "canceled by the next tick of its schedule (cancel_running)");
                }
            }
            runId = runs.triggerIn(c, job.get(), List.of(TriggerRequest.empty()), new RunStore.Origin(null, d.id()))
                    .runs().get(0).id();
        }
        try (Query q = ScheduleStore.SQL.prepare(c, "set_tick_outcome")) {
            q.set("run_id", runId).set("outcome", outcome).set("schedule_id", d.id()).set("fire_at", d.fireAt())
                    .update();
        }
        advance(c, d, spec);
    }

    private void advance(Connection c, Due d, ScheduleSpec spec) throws SQLException {
        Instant now = clock.instant();
        Instant next = spec.nextAfter(d.fireAt());
        if (next != null && next.isBefore(now)) {
            log.info("schedule {} missed ticks up to {}; continuing from now", d.id(), now);
            next = spec.nextAfter(now);
        }
        try (Query q = ScheduleStore.SQL.prepare(c, "advance_schedule")) {
            q.set("next_fire_at", next).set("last_fired_at", d.fireAt()).set("id", d.id()).update();
        }
    }

    private static void disable(Connection c, UUID scheduleId) throws SQLException {
        try (Query q = ScheduleStore.SQL.prepare(c, "disable_schedule")) {
            q.set("id", scheduleId).update();
        }
    }

    private static List<UUID> liveRuns(Connection c, UUID scheduleId) throws SQLException {
        List<UUID> out = new ArrayList<>();
        try (Query q = ScheduleStore.SQL.prepare(c, "live_schedule_runs")) {
            q.set("schedule_id", scheduleId);
            try (ResultSet rs = q.query()) {
                while (rs.next()) {
                    out.add(rs.getObject(1, UUID.class));
                }
            }
        }
        return out;
    }

    @Override
    protected long nextWaitMs() {
        Instant next = db.read(c -> {
            try (Query q = ScheduleStore.SQL.prepare(c, "next_fire_at"); ResultSet rs = q.query()) {
                rs.next();
                Timestamp t = rs.getTimestamp(1);
                return t == null ? null : t.toInstant();
            }
        });
        if (next == null) {
            return pollMs;
        }
        return Math.max(0, Math.min(pollMs, next.toEpochMilli() - clock.millis()));
    }
}
