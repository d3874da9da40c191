package io.drover.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.crypto.SecretBox;
import io.drover.http.ApiError;
import io.drover.http.Json;
import io.drover.http.Page;
import io.drover.schedules.ScheduleStore;
import io.drover.store.Db;
import io.drover.store.UuidV7;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Jobs and their immutable versions. Specs of a given (job, version) never change, so they are
 * cached forever: the claim and retry paths read them without a query.
 */
public final class JobStore {
    private static final String COLUMNS = "id, project_id, version, spec::text, created_at, updated_at";

    private final Db db;
    private final SecretBox box;
    private final InstantSource clock;
    private final Map<String, JobSpec> versions = new ConcurrentHashMap<>();
    private final SecureRandom random = new SecureRandom();

    public JobStore(Db db, SecretBox box, InstantSource clock) {
        this.db = db;
        this.box = box;
        this.clock = clock;
    }

    private volatile io.drover.audit.AuditLog audit;

    /** Job changes append their audit row in the same transaction. */
    public void setAudit(io.drover.audit.AuditLog audit) {
        this.audit = audit;
    }

    private void audit(Connection c, Job job, String action, JsonNode details) throws SQLException {
        if (audit != null) {
            audit.append(c, job.projectId(), action, "job", job.id(), details);
        }
    }

    private volatile io.drover.outbound.OutboundGuard outbound = io.drover.outbound.OutboundGuard.publicOnly();

    /** Which endpoint URLs http jobs may be given (refused ones are a 422 on endpoint_url). */
    public void setOutbound(io.drover.outbound.OutboundGuard outbound) {
        this.outbound = outbound;
    }

    /** A created job and, for http jobs, the signing secret to show once. */
    public record Created(Job job, String signingSecret) {}

    public Created create(UUID projectId, JobSpec spec) {
        if (spec.isHttp()) {
            outbound.checkUrl("endpoint_url", spec.endpointUrl());
        }
        UUID id = UuidV7.next();
        String secret = spec.isHttp() ? "whsec_" + HexFormat.of().formatHex(randomBytes(32)) : null;
        try {
            Job job = db.tx(c -> {
                try (PreparedStatement ps = c.prepareStatement("""
                        INSERT INTO jobs (id, project_id, slug, version, spec, queue, execution, signing_secret)
                        VALUES (?, ?, ?, 1, ?::jsonb, ?, ?, ?)
                        RETURNING""" + " " + COLUMNS)) {
                    ps.setObject(1, id);
                    ps.setObject(2, projectId);
                    ps.setString(3, spec.slug());
                    ps.setString(4, Json.write(spec.toJson()));
                    ps.setString(5, spec.queue());
                    ps.setString(6, spec.execution());
                    ps.setBytes(7, secret == null ? null : box.seal(secret.getBytes(StandardCharsets.UTF_8), aad(id)));
                    Job created = one(ps);
                    insertVersion(c, created);
                    ScheduleStore.sync(c, created, clock.instant());
                    audit(c, created, "job.create", Json.object().put("slug", created.spec().slug())
                            .set("spec", created.spec().toJson()));
                    return created;
                }
            });
            return new Created(job, secret);
        } catch (io.drover.store.DbException e) {
            if (e.isUniqueViolation()) {
                throw ApiError.conflict("slug_taken", "a job with slug '" + spec.slug() + "' already exists",
                        Map.of("field", "slug"));
            }
            throw e;
        }
    }

    public Job update(UUID projectId, String idOrSlug, JsonNode patch) {
        return db.tx(c -> {
            Job current = find(c, projectId, idOrSlug, true)
                    .orElseThrow(() -> ApiError.notFound("job", idOrSlug));
            JobSpec next = JobSpec.parse(patch, current.spec());
            if (next.isHttp() && !current.spec().isHttp()) {
                throw ApiError.invalid("execution", "cannot change a worker job into an http job; create a new job");
            }
            if (!next.isHttp() && current.spec().isHttp()) {
                throw ApiError.invalid("execution", "cannot change an http job into a worker job; create a new job");
            }
            // Only a changed URL is checked here: a job saved before the allow list changed can still
            // be edited, and the send-time check refuses its old URL anyway.
            if (next.isHttp() && !next.endpointUrl().equals(current.spec().endpointUrl())) {
                outbound.checkUrl("endpoint_url", next.endpointUrl());
            }
            try (PreparedStatement ps = c.prepareStatement("""
                    UPDATE jobs SET version = version + 1, spec = ?::jsonb, queue = ?, updated_at = now()
                    WHERE id = ? RETURNING""" + " " + COLUMNS)) {
                ps.setString(1, Json.write(next.toJson()));
                ps.setString(2, next.queue());
                ps.setObject(3, current.id());
                Job updated = one(ps);
                insertVersion(c, updated);
                ScheduleStore.sync(c, updated, clock.instant());
                audit(c, updated, "job.update", Json.object().put("slug", updated.spec().slug())
                        .put("version", updated.version()).set("patch", patch));
                return updated;
            }
        });
    }

    /** Soft delete: the slug is free again; runs already made keep their job and finish normally. */
    public Job delete(UUID projectId, String idOrSlug) {
        return db.tx(c -> {
            Job current = find(c, projectId, idOrSlug, true)
                    .orElseThrow(() -> ApiError.notFound("job", idOrSlug));
            try (PreparedStatement ps = c.prepareStatement("UPDATE jobs SET deleted_at = now() WHERE id = ?")) {
                ps.setObject(1, current.id());
                ps.executeUpdate();
            }
            ScheduleStore.remove(c, current.id());
            audit(c, current, "job.delete", Json.object().put("slug", current.spec().slug()));
            return current;
        });
    }

    public Job get(UUID projectId, String idOrSlug) {
        return db.read(c -> find(c, projectId, idOrSlug, false)).orElseThrow(() -> ApiError.notFound("job", idOrSlug));
    }

    /** The job if it exists and is not deleted, else null. */
    public Job find(UUID projectId, String idOrSlug) {
        return db.read(c -> find(c, projectId, idOrSlug, false)).orElse(null);
    }

    public Optional<Job> find(Connection c, UUID projectId, String idOrSlug, boolean forUpdate) throws SQLException {
        UUID id = parseUuid(idOrSlug);
        if (id == null && !JobSpec.SLUG.matcher(idOrSlug).matches()) {
            return Optional.empty(); // no job has this slug (and text such as U+0000 must not reach SQL)
        }
        String where = id != null ? "id = ?" : "slug = ?";
        try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM jobs WHERE project_id = ? AND "
                + where + " AND deleted_at IS NULL" + (forUpdate ? " FOR UPDATE" : ""))) {
            ps.setObject(1, projectId);
            if (id != null) {
                ps.setObject(2, id);
            } else {
                ps.setString(2, idOrSlug);
            }
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(map(rs)) : Optional.empty();
            }
        }
    }

    public Page<Job> list(UUID projectId, UUID cursor, int limit) {
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + """
                     FROM jobs WHERE project_id = ? AND deleted_at IS NULL AND (?::uuid IS NULL OR id < ?)
                    ORDER BY id DESC LIMIT ?""")) {
                ps.setObject(1, projectId);
                ps.setObject(2, cursor);
                ps.setObject(3, cursor);
                ps.setInt(4, limit + 1);
                return Page.of(all(ps), limit, Job::id);
            }
        });
    }

    /** Up to {@code max} versions of a job older than {@code beforeVersion}, newest first. */
    public List<Job> versions(UUID projectId, String idOrSlug, int beforeVersion, int max) {
        Job job = get(projectId, idOrSlug);
        return db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("""
                    SELECT v.job_id, v.project_id, v.version, v.spec::text, v.created_at, v.created_at
                    FROM job_versions v WHERE v.job_id = ? AND v.version < ? ORDER BY v.version DESC LIMIT ?""")) {
                ps.setObject(1, job.id());
                ps.setInt(2, beforeVersion);
                ps.setInt(3, max);
                return all(ps);
            }
        });
    }

    /** The spec of one version of a job (versions are immutable, so this is cached). */
    public JobSpec spec(UUID jobId, int version) {
        String key = jobId + "/" + version;
        JobSpec cached = versions.get(key);
        if (cached != null) {
            return cached;
        }
        JobSpec spec = db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT spec::text FROM job_versions WHERE job_id = ? AND version = ?")) {
                ps.setObject(1, jobId);
                ps.setInt(2, version);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        throw new IllegalStateException("job version missing: " + key);
                    }
                    return JobSpec.fromStored(Json.read(rs.getString(1)));
                }
            }
        });
        versions.put(key, spec);
        return spec;
    }

    /** The signing secret of an http job, opened from its sealed form. */
    public String signingSecret(UUID jobId) {
        byte[] sealed = db.read(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT signing_secret FROM jobs WHERE id = ?")) {
                ps.setObject(1, jobId);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? rs.getBytes(1) : null;
                }
            }
        });
        return sealed == null ? null : new String(box.open(sealed, aad(jobId)), StandardCharsets.UTF_8);
    }

    private static byte[] aad(UUID jobId) {
        return ("job-signing-secret:" + jobId).getBytes(StandardCharsets.UTF_8);
    }

    private void insertVersion(Connection c, Job job) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO job_versions (job_id, version, project_id, spec) VALUES (?, ?, ?, ?::jsonb)")) {
            ps.setObject(1, job.id());
            ps.setInt(2, job.version());
            ps.setObject(3, job.projectId());
            ps.setString(4, Json.write(job.spec().toJson()));
            ps.executeUpdate();
        }
        versions.put(job.id() + "/" + job.version(), job.spec());
    }

    private static Job one(PreparedStatement ps) throws SQLException {
        try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            return map(rs);
        }
    }

    private static List<Job> all(PreparedStatement ps) throws SQLException {
        List<Job> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(map(rs));
            }
        }
        return out;
    }

    private static Job map(ResultSet rs) throws SQLException {
        return new Job(rs.getObject(1, UUID.class), rs.getObject(2, UUID.class), rs.getInt(3),
                JobSpec.fromStored(Json.read(rs.getString(4))), instant(rs.getTimestamp(5)), instant(rs.getTimestamp(6)));
    }

    private static java.time.Instant instant(Timestamp t) {
        return t == null ? null : t.toInstant();
    }

    public static UUID parseUuid(String s) {
        if (s == null || s.length() != 36) {
            return null;
        }
        try {
            return UUID.fromString(s);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }
}
