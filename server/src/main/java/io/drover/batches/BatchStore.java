package io.drover.batches;

import io.drover.access.AuditContext;
import io.drover.audit.AuditLog;
import io.drover.errors.Conflict;
import io.drover.errors.NotFound;
import io.drover.http.Json;
import io.drover.retention.RetentionPass;
import io.drover.runs.RunStore;
import io.drover.store.Db;
import io.drover.store.Query;
import io.drover.store.Sql;
import io.drover.store.UuidV7;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Batch cancel and replay: a batch is made in one transaction with the count its caller confirmed
 * (refused when the filter matches another number now) and its audit row; {@link #work} changes
 * the next chunk of its runs, each through the run state machine, in one transaction with the
 * batch's progress, so a restart goes on where the last committed chunk ended.
 */
public final class BatchStore {
    static final Sql SQL = Sql.load("/sql/batches.sql", Map.of("FILTER", BatchFilter.PREDICATE,
            "BATCH_COLUMNS", Batch.COLUMNS));
    /** Runs changed per transaction: each is two short statements, and the chunk's locks last until its commit. */
    public static final int CHUNK = 200;

    private final Db db;
    private final RunStore runs;
    private final AuditLog audit;

    public BatchStore(Db db, RunStore runs, AuditLog audit) {
        this.db = db;
        this.runs = runs;
        this.audit = audit;
    }

    public static RetentionPass.Target retentionTarget() {
        return new RetentionPass.Target(SQL, "delete_batches", List.of("batches"));
    }

    /** Makes a batch of {@code kind} ("cancel" or "replay") if the filter matches {@code confirmCount} runs now. */
    public Batch create(UUID projectId, String kind, BatchFilter filter, int confirmCount) {
        return db.tx(c -> {
            UUID upper = UuidV7.next();
            int matched;
            try (Query q = SQL.prepare(c, "count_matching")) {
                filter.bind(q, projectId).set("upper_id", upper);
                try (ResultSet rs = q.query()) {
                    rs.next();
                    matched = rs.getInt(1);
                }
            }
            if (matched != confirmCount) {
                throw new Conflict("confirm_count_mismatch", "the filter matches " + matched + " runs now, not "
                        + confirmCount + "; check the filter and send confirm_count " + matched,
                        Map.of("matched", matched, "confirm_count", confirmCount));
            }
            Batch b;
            try (Query q = SQL.prepare(c, "insert_batch")) {
                q.set("id", UuidV7.next()).set("project_id", projectId).set("kind", kind)
                        .set("filter", Json.write(filter.toJson())).set("status", matched == 0 ? "done" : "pending")
                        .set("matched", matched).set("upper_id", upper)
                        .set("created_by", actor(), Types.VARCHAR);
                try (ResultSet rs = q.query()) {
                    rs.next();
                    b = Batch.map(rs);
                }
            }
            audit.append(c, projectId, "runs.batch_" + kind, "batch", b.id(),
                    Json.object().put("matched", matched).set("filter", filter.toJson()));
            return b;
        });
    }

    private static String actor() {
        var a = AuditContext.current();
        return a.id() == null ? a.type() : a.type() + ":" + a.id();
    }

    public Batch get(UUID projectId, UUID id) {
        return db.read(c -> {
            try (Query q = SQL.prepare(c, "get_batch")) {
                q.set("id", id).set("project_id", projectId);
                try (ResultSet rs = q.query()) {
                    if (!rs.next()) {
                        throw new NotFound("batch", id.toString());
                    }
                    return Batch.map(rs);
                }
            }
        });
    }

    /** One chunk of the oldest unfinished batch no other node works on; empty when there was none. */
    public Optional<Batch> work() {
        return db.tx(c -> {
            Batch b;
            try (Query q = SQL.prepare(c, "take_batch"); ResultSet rs = q.query()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                b = Batch.map(rs);
            }
            BatchFilter filter = BatchFilter.fromJson(b.filter());
            List<UUID> ids = new ArrayList<>();
            try (Query q = SQL.prepare(c, "next_chunk")) {
                filter.bind(q, b.projectId()).set("upper_id", b.upperId()).set("after_id", b.lastRunId())
                        .set("chunk", CHUNK);
                try (ResultSet rs = q.query()) {
                    while (rs.next()) {
                        ids.add(rs.getObject(1, UUID.class));
                    }
                }
            }
            int done = 0;
            for (UUID id : ids) {
                if (change(c, b, filter, id)) {
                    done++;
                }
            }
            String status = ids.size() < CHUNK ? "done" : "running";
            try (Query q = SQL.prepare(c, "progress")) {
                q.set("done", done).set("failed", ids.size() - done)
                        .set("last_run_id", ids.isEmpty() ? null : ids.get(ids.size() - 1)).set("status", status)
                        .set("id", b.id()).update();
            }
            return Optional.of(b);
        });
    }

    /** Changes one run of the batch in its transaction; false when it could not (counted as failed). */
    private boolean change(Connection c, Batch b, BatchFilter filter, UUID runId) throws SQLException {
        if (b.kind().equals("replay")) {
            return runs.replayIn(c, b.projectId(), runId);
        }
        String reason = "canceled by batch " + b.id();
        return runs.cancelIfFree(c, runId, reason, filter.status()).isPresent();
    }
}
