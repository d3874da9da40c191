package io.drover.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import io.drover.crypto.SecretBox;
import io.drover.errors.Conflict;
import io.drover.errors.Invalid;
import io.drover.errors.NotFound;
import io.drover.http.Json;
import io.drover.http.Page;
import io.drover.store.Db;
import io.drover.store.Query;
import io.drover.store.Sql;
import io.drover.store.UuidV7;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
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
    private static final Sql SQL = Sql.load("/sql/jobs.sql");

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

    private volatile JobListener listener = JobListener.NONE;

    /** Told of every job change inside its transaction (schedules keep their rows in step). */
    public void setListener(JobListener listener) {
        this.listener = listener;
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
                requireRateLimits(c, projectId, spec);
                try (Query q = SQL.prepare(c, "insert_job")) {
                    q.set("id", id).set("project_id", projectId).set("slug", spec.slug())
                            .set("spec", Json.write(spec.toJson())).set("queue", spec.queue())
                            .set("execution", spec.execution())
                            .set("signing_secret", secret == null ? null
                                    : box.seal(secret.getBytes(StandardCharsets.UTF_8), aad(id)), Types.BINARY);
                    Job created = one(q);
                    insertVersion(c, created);
                    listener.saved(c, created, clock.instant());
                    audit(c, created, "job.create", Json.object().put("slug", created.spec().slug())
                            .set("spec", created.spec().toJson()));
                    return created;
                }
            });
            return new Created(job, secret);
        } catch (io.drover.store.DbException e) {
            if (e.isUniqueViolation()) {
                throw new Conflict("slug_taken", "a job with slug '" + spec.slug() + "' already exists",
                        Map.of("field", "slug"));
            }
            throw e;
        }
    }

    public Job update(UUID projectId, String idOrSlug, JsonNode patch) {
        return db.tx(c -> {
            Job current = find(c, projectId, idOrSlug, true)
                    .orElseThrow(() -> new NotFound("job", idOrSlug));
            JobSpec next = JobSpec.parse(patch, current.spec());
            if (next.isHttp() && !current.spec().isHttp()) {
                throw new Invalid("execution", "cannot change a worker job into an http job; create a new job");
            }
            if (!next.isHttp() && current.spec().isHttp()) {
                throw new Invalid("execution", "cannot change an http job into a worker job; create a new job");
            }
            // Only a changed URL is checked here: a job saved before the allow list changed can still
            // be edited, and the send-time check refuses its old URL anyway.
            if (next.isHttp() && !next.endpointUrl().equals(current.spec().endpointUrl())) {
                outbound.checkUrl("endpoint_url", next.endpointUrl());
            }
            requireRateLimits(c, projectId, next);
            try (Query q = SQL.prepare(c, "update_job")) {
                q.set("spec", Json.write(next.toJson())).set("queue", next.queue()).set("id", current.id());
                Job updated = one(q);
                insertVersion(c, updated);
                listener.saved(c, updated, clock.instant());
                audit(c, updated, "job.update", Json.object().put("slug", updated.spec().slug())
                        .put("version", updated.version()).set("patch", patch));
                return updated;
            }
        });
    }

    /** A job names only rate limits its project has (POST /v1/rate-limits); none can be deleted. */
    private static void requireRateLimits(Connection c, UUID projectId, JobSpec spec) throws SQLException {
        if (!spec.isRateLimited()) {
            return;
        }
        try (Query q = SQL.prepare(c, "unknown_rate_limit_keys")) {
            q.set("project_id", projectId).setArray("keys", "text", spec.rateLimitKeys().toArray());
            try (ResultSet rs = q.query()) {
                if (rs.next()) {
                    throw new Invalid("rate_limit_keys", "'" + rs.getString(1)
                            + "' is not a rate limit of this project; create it with POST /v1/rate-limits");
                }
            }
        }
    }

    /** Soft delete: the slug is free again; runs already made keep their job and finish normally. */
    public Job delete(UUID projectId, String idOrSlug) {
        return db.tx(c -> {
            Job current = find(c, projectId, idOrSlug, true)
                    .orElseThrow(() -> new NotFound("job", idOrSlug));
            try (Query q = SQL.prepare(c, "delete_job")) {
                q.set("id", current.id()).update();
            }
            listener.deleted(c, current.id());
            audit(c, current, "job.delete", Json.object().put("slug", current.spec().slug()));
            return current;
        });
    }

    public Job get(UUID projectId, String idOrSlug) {
        return db.read(c -> find(c, projectId, idOrSlug, false)).orElseThrow(() -> new NotFound("job", idOrSlug));
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
        String statement = (id != null ? "job_by_id" : "job_by_slug") + (forUpdate ? "_for_update" : "");
        try (Query q = SQL.prepare(c, statement)) {
            q.set("project_id", projectId);
            if (id != null) {
                q.set("id", id);
            } else {
                q.set("slug", idOrSlug);
            }
            try (ResultSet rs = q.query()) {
                return rs.next() ? Optional.of(map(rs)) : Optional.empty();
            }
        }
    }

    public Page<Job> list(UUID projectId, UUID cursor, int limit) {
        return db.read(c -> {
            try (Query q = SQL.prepare(c, "list_jobs")) {
                q.set("project_id", projectId).set("cursor", cursor).set("limit", limit + 1);
                return Page.of(all(q), limit, Job::id);
            }
        });
    }

    /** Up to {@code max} versions of a job older than {@code beforeVersion}, newest first. */
    public List<Job> versions(UUID projectId, String idOrSlug, int beforeVersion, int max) {
        Job job = get(projectId, idOrSlug);
        return db.read(c -> {
            try (Query q = SQL.prepare(c, "job_versions")) {
                q.set("job_id", job.id()).set("before_version", beforeVersion).set("max", max);
                return all(q);
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
            try (Query q = SQL.prepare(c, "job_version_spec")) {
                q.set("job_id", jobId).set("version", version);
                try (ResultSet rs = q.query()) {
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
            try (Query q = SQL.prepare(c, "job_signing_secret")) {
                q.set("id", jobId);
                try (ResultSet rs = q.query()) {
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
        try (Query q = SQL.prepare(c, "insert_job_version")) {
            q.set("job_id", job.id()).set("version", job.version()).set("project_id", job.projectId())
                    .set("spec", Json.write(job.spec().toJson())).update();
        }
        versions.put(job.id() + "/" + job.version(), job.spec());
    }

    private static Job one(Query q) throws SQLException {
        try (ResultSet rs = q.query()) {
            rs.next();
            return map(rs);
        }
    }

    private static List<Job> all(Query q) throws SQLException {
        List<Job> out = new ArrayList<>();
        try (ResultSet rs = q.query()) {
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
        return io.drover.store.Ids.uuid(s);
    }

    private byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }
}
