package io.drover.dispatch;

import static io.drover.http.Route.post;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.access.Role;
import io.drover.http.ApiError;
import io.drover.http.Call;
import io.drover.http.Input;
import io.drover.http.Json;
import io.drover.http.Reply;
import io.drover.http.Route;
import io.drover.runs.Run;
import io.drover.runs.RunStore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The worker protocol: long-polling claims, heartbeats, completion (single and batched), failure,
 * giving a lease back, and pausing/resuming a held run. A waiting claim parks on
 * {@link ClaimSignal} and holds no database connection.
 */
public final class WorkerRoutes {
    private static final Pattern WORKER_ID = Pattern.compile("[\\x21-\\x7E]{1,200}");
    private final RunStore runs;
    private final ClaimSignal signal;
    private final long pollMs;

    public WorkerRoutes(RunStore runs, ClaimSignal signal, long pollMs) {
        this.runs = runs;
        this.signal = signal;
        this.pollMs = pollMs;
    }

    private volatile io.drover.secrets.ClaimSecrets secrets;
    private io.drover.telemetry.Tracing tracing = io.drover.telemetry.Tracing.off();

    /** drover.claim and drover.complete spans for runs that carry a traceparent (when tracing is on). */
    public WorkerRoutes withTracing(io.drover.telemetry.Tracing t) {
        this.tracing = t;
        return this;
    }

    /** Claimed runs carry the secrets their job names, for keys that may read them. */
    public WorkerRoutes withSecrets(io.drover.secrets.ClaimSecrets claimSecrets) {
        this.secrets = claimSecrets;
        return this;
    }

    public List<Route> routes() {
        return List.of(
                post("/v1/worker/claim", Role.OPERATOR, "Claim ready runs (long-polls up to wait_ms)", this::claim),
                post("/v1/worker/heartbeat", Role.OPERATOR, "Extend the leases of many held runs", this::heartbeatBatch),
                post("/v1/worker/runs", Role.OPERATOR,
                        "Read the status of many held runs (a worker's poll for cancellations)", this::heldRuns),
                post("/v1/worker/complete", Role.OPERATOR, "Report many results and failures at once", this::report),
                post("/v1/runs/{id}/heartbeat", Role.OPERATOR, "Extend the lease of a held run", this::heartbeat),
                post("/v1/runs/{id}/complete", Role.OPERATOR, "Complete a held run", this::complete),
                post("/v1/runs/{id}/fail", Role.OPERATOR, "Fail the current attempt of a held run", this::fail),
                post("/v1/runs/{id}/release", Role.OPERATOR, "Give a held run back unfinished", this::release),
                post("/v1/runs/{id}/wait", Role.OPERATOR,
                        "Pause a held run, or let go of it until its children settle (children: true)"
                                + " or an event is sent (event_key)",
                        this::startWaiting),
                post("/v1/runs/{id}/continue", Role.OPERATOR,
                        "Complete a held run and create its continuation, in one transaction", this::continueRun),
                post("/v1/runs/{id}/resume", Role.OPERATOR, "Resume a paused run (waiting -> executing)", this::resume));
    }

    private static String workerId(Input in) {
        String id = in.requiredString("worker_id", 200);
        if (!WORKER_ID.matcher(id).matches()) {
            throw ApiError.invalid("worker_id", "must be 1..200 printable ASCII characters without spaces");
        }
        return id;
    }

    private Reply claim(Call c) throws InterruptedException {
        Input in = Input.body(c.body(), false);
        in.allowOnly(Set.of("worker_id", "queues", "jobs", "max", "wait_ms", "lease_ms"));
        String worker = workerId(in);
        List<String> queues = in.strings("queues", 50, 100);
        if (queues == null || queues.isEmpty()) {
            throw ApiError.invalid("queues", "is required: at least one queue name");
        }
        // Optional: only runs of these jobs (the worker's handlers); absent means any job.
        List<String> jobs = in.strings("jobs", 1000, 200);
        if (jobs != null && jobs.isEmpty()) {
            throw ApiError.invalid("jobs", "must name at least one job slug, or be left out to claim any job");
        }
        // Sorted and distinct: the job list is part of the claim cursor's key (ClaimCursors).
        List<String> jobList = jobs == null ? null : List.copyOf(new java.util.TreeSet<>(jobs));
        int max = in.intValue("max", 1, 1, 500);
        long waitMs = in.longValue("wait_ms", 0L, 0, 30_000);
        long leaseMs = in.longValue("lease_ms", 30_000L, 1_000, 3_600_000);
        long deadline = System.nanoTime() + waitMs * 1_000_000;
        java.time.Instant started = tracing.on() ? java.time.Instant.now() : null;
        List<Run> claimed;
        RunStore.Claimed got;
        while (true) {
            long seen = signal.generation();
            got = runs.claimWithContext(c.projectId(), worker, List.copyOf(new java.util.LinkedHashSet<>(queues)),
                    jobList, max, leaseMs);
            claimed = got.runs();
            long leftMs = (deadline - System.nanoTime()) / 1_000_000;
            if (!claimed.isEmpty() || leftMs <= 0) {
                break;
            }
            // Parked without a connection until new work may be ready; the poll interval bounds the wait
            // so that work made by another node whose NOTIFY we missed is still found.
            signal.await(seen, Math.min(leftMs, pollMs));
        }
        if (started != null) {
            java.time.Instant now = java.time.Instant.now();
            for (Run r : claimed) {
                tracing.span("drover.claim", r.traceparent(), started, now, r.id(), r.jobSlug());
            }
        }
        boolean withSecrets = secrets != null && secrets.adds(c.principal(), claimed);
        List<ObjectNode> rendered = withSecrets ? secrets.render(c.principal(), claimed) : null;
        // Parents resumed after their children settled carry them (read only for those runs).
        List<ObjectNode> withChildren = claimed.isEmpty() ? null : runs.withChildren(c.projectId(), claimed, rendered);
        if (withChildren != null) {
            rendered = withChildren;
        }
        if (rendered == null && got.context().isEmpty()) {
            return Reply.ok(Run.dataJson(claimed));
        }
        if (rendered == null) {
            rendered = claimed.stream().map(Run::toJson).toList();
        }
        if (!got.context().isEmpty()) {
            // Runs with a checkpoint or a settled event wait carry them (the others have neither field).
            for (int i = 0; i < claimed.size(); i++) {
                RunStore.ClaimContext ctx = got.context().get(claimed.get(i).id());
                if (ctx != null) {
                    ctx.addTo(rendered.get(i));
                }
            }
        }
        return Reply.ok(data(rendered));
    }

    private Reply heartbeat(Call c) {
        UUID id = c.pathUuid("id", "run");
        Input in = Input.body(c.body(), false);
        in.allowOnly(Set.of("worker_id", "lease_ms"));
        String worker = workerId(in);
        long leaseMs = in.longValue("lease_ms", 30_000L, 1_000, 3_600_000);
        Map<UUID, Instant> leases = runs.heartbeat(c.projectId(), worker, List.of(id), leaseMs);
        Instant until = leases.get(id);
        if (until == null) {
            Run run = runs.get(c.projectId(), id);
            throw ApiError.conflict("not_held", "run is " + run.status().db() + "; this worker no longer holds it",
                    Map.of("status", run.status().db()));
        }
        return Reply.ok(Json.object().put("run_id", id.toString()).put("lease_expires_at", until.toString())
                .put("status", "executing"));
    }

    private Reply heartbeatBatch(Call c) {
        Input in = Input.body(c.body(), false);
        in.allowOnly(Set.of("worker_id", "run_ids", "lease_ms"));
        String worker = workerId(in);
        long leaseMs = in.longValue("lease_ms", 30_000L, 1_000, 3_600_000);
        List<UUID> ids = uuids(in, "run_ids", 1000);
        Map<UUID, Instant> leases = ids.isEmpty() ? Map.of() : runs.heartbeat(c.projectId(), worker, ids, leaseMs);
        // The runs this worker no longer holds say what they are now (canceled, queued again after
        // a reap, ...): read only when there are any, so the usual heartbeat costs nothing more.
        List<UUID> lost = ids.stream().filter(id -> !leases.containsKey(id)).toList();
        Map<UUID, RunStore.HeldStatus> now = lost.isEmpty() ? Map.of() : runs.heldStatus(c.projectId(), lost);
        List<ObjectNode> out = new ArrayList<>();
        for (UUID id : ids) {
            Instant until = leases.get(id);
            ObjectNode n = Json.object().put("run_id", id.toString()).put("ok", until != null);
            n.put("lease_expires_at", until == null ? null : until.toString());
            RunStore.HeldStatus held = now.get(id);
            n.put("status", until != null ? "executing" : held == null ? null : held.status().db());
            out.add(n);
        }
        return Reply.ok(data(out));
    }

    /**
     * {@code {worker_id, run_ids}} -> {@code {"data": [{run_id, held, status}]}}: whether this worker
     * still holds each run, and its status ({@code null} for an unknown id). Read only, no lease is
     * extended: the SDK asks about once a second, so that a cancel reaches the handler without
     * waiting for the next heartbeat.
     */
    private Reply heldRuns(Call c) {
        Input in = Input.body(c.body(), false);
        in.allowOnly(Set.of("worker_id", "run_ids"));
        String worker = workerId(in);
        List<UUID> ids = uuids(in, "run_ids", 1000);
        Map<UUID, RunStore.HeldStatus> now = ids.isEmpty() ? Map.of() : runs.heldStatus(c.projectId(), ids);
        List<ObjectNode> out = new ArrayList<>();
        for (UUID id : ids) {
            RunStore.HeldStatus s = now.get(id);
            boolean held = s != null && worker.equals(s.workerId())
                    && (s.status() == io.drover.runs.RunStatus.EXECUTING || s.status() == io.drover.runs.RunStatus.WAITING);
            out.add(Json.object().put("run_id", id.toString()).put("held", held)
                    .put("status", s == null ? null : s.status().db()));
        }
        return Reply.ok(data(out));
    }

    private Reply complete(Call c) {
        UUID id = c.pathUuid("id", "run");
        Input in = Input.body(c.body(), false);
        in.allowOnly(Set.of("worker_id", "result", "attempt"));
        String worker = workerId(in);
        Integer attempt = in.intValue("attempt", null, 1, 1_000_000);
        java.time.Instant started = tracing.on() ? java.time.Instant.now() : null;
        Run done = runs.complete(c.projectId(), id, worker, resultOf(in), attempt);
        if (started != null) {
            tracing.span("drover.complete", done.traceparent(), started, java.time.Instant.now(), id, done.jobSlug());
        }
        return Reply.ok(done.toJson());
    }

    private Reply fail(Call c) {
        UUID id = c.pathUuid("id", "run");
        Input in = Input.body(c.body(), false);
        in.allowOnly(Set.of("worker_id", "error", "retryable", "attempt"));
        String worker = workerId(in);
        String error = errorOf(in, "error");
        boolean retryable = in.bool("retryable", true);
        Integer attempt = in.intValue("attempt", null, 1, 1_000_000);
        java.time.Instant started = tracing.on() ? java.time.Instant.now() : null;
        Run done = runs.fail(c.projectId(), id, worker, error, retryable, attempt);
        if (started != null) {
            tracing.span("drover.complete", done.traceparent(), started, java.time.Instant.now(), id, done.jobSlug());
        }
        return Reply.ok(done.toJson());
    }

    private Reply report(Call c) {
        Input in = Input.body(c.body(), false);
        in.allowOnly(Set.of("worker_id", "results"));
        String worker = workerId(in);
        JsonNode results = in.get("results");
        if (results == null) {
            throw ApiError.invalid("results", "is required: an array of {run_id, result} or {run_id, error, retryable}");
        }
        if (!results.isArray()) {
            throw ApiError.wrongType("results", "an array of {run_id, result} or {run_id, error, retryable}");
        }
        if (results.size() > 1000) {
            throw ApiError.invalid("results", "at most 1000 items");
        }
        List<RunStore.Report> reports = new ArrayList<>(results.size());
        Set<UUID> seen = new java.util.HashSet<>();
        for (int i = 0; i < results.size(); i++) {
            String prefix = "results[" + i + "]";
            Input item = Input.of(results.get(i), prefix);
            item.allowOnly(REPORT_FIELDS);
            UUID runId = parseUuid(item.requiredString("run_id", 36), prefix + ".run_id");
            if (!seen.add(runId)) {
                throw ApiError.invalid(prefix + ".run_id", "run " + runId + " appears twice");
            }
            Integer attempt = item.intValue("attempt", null, 1, 1_000_000);
            if (item.has("error")) {
                reports.add(new RunStore.Report(runId, null, errorOf(item, "error"), item.bool("retryable", true),
                        attempt));
            } else {
                reports.add(new RunStore.Report(runId, resultOf(item), null, false, attempt));
            }
        }
        java.time.Instant started = tracing.on() ? java.time.Instant.now() : null;
        List<RunStore.Reported> reported = runs.report(c.projectId(), worker, reports);
        if (started != null) {
            completeSpans(c.projectId(), reported, started);
        }
        return Reply.ok(reportedJson(reported));
    }

    /** drover.complete for the reported runs that carry a traceparent (read only while tracing is on). */
    private void completeSpans(UUID projectId, List<RunStore.Reported> reported, java.time.Instant started) {
        List<UUID> ok = new ArrayList<>();
        for (RunStore.Reported r : reported) {
            if (r.ok()) {
                ok.add(r.runId());
            }
        }
        java.time.Instant now = java.time.Instant.now();
        runs.traceparents(projectId, ok).forEach((id, t) -> tracing.span("drover.complete", t.traceparent(), started,
                now, id, t.job()));
    }

    private static final Set<String> REPORT_FIELDS = Set.of("run_id", "result", "error", "retryable", "attempt");

    /**
     * {@code {"data": [{run_id, ok, status, error}, ...]}} written straight to bytes, as the tree of
     * one ObjectNode per run that it replaces would write it.
     */
    static byte[] reportedJson(List<RunStore.Reported> reported) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(64 + reported.size() * 96);
        try (com.fasterxml.jackson.core.JsonGenerator g = Json.MAPPER.createGenerator(out)) {
            g.writeStartObject();
            g.writeArrayFieldStart("data");
            for (RunStore.Reported r : reported) {
                g.writeStartObject();
                g.writeStringField("run_id", r.runId().toString());
                g.writeBooleanField("ok", r.ok());
                g.writeStringField("status", r.status());
                if (r.error() != null) {
                    g.writeObjectFieldStart("error");
                    g.writeStringField("code", r.error().code());
                    g.writeStringField("message", r.error().getMessage());
                    g.writeEndObject();
                } else {
                    g.writeNullField("error");
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private Reply release(Call c) {
        UUID id = c.pathUuid("id", "run");
        Input in = Input.body(c.body(), false);
        in.allowOnly(Set.of("worker_id"));
        return Reply.ok(runs.release(c.projectId(), id, workerId(in)).toJson());
    }

    private Reply startWaiting(Call c) {
        UUID id = c.pathUuid("id", "run");
        Input in = Input.body(c.body(), false);
        in.allowOnly(Set.of("worker_id", "timeout_secs", "reason", "children", "event_key", "timeout_ms"));
        String worker = workerId(in);
        if (in.bool("children", false)) {
            // The worker lets go: the run waits without a worker until its children settle.
            for (String f : List.of("timeout_secs", "reason", "event_key", "timeout_ms")) {
                if (in.has(f)) {
                    throw ApiError.invalid(f, "is not taken with children: true (the run waits until its children settle)");
                }
            }
            return Reply.ok(runs.waitForChildren(c.projectId(), id, worker).toJson());
        }
        if (in.raw().has("event_key") || in.raw().has("timeout_ms")) {
            return waitForEvent(c, id, in, worker);
        }
        long secs = in.longValue("timeout_secs", 3600L, 1, 30L * 24 * 3600);
        String reason = in.string("reason", "paused by its worker", 1000);
        Instant until = runs.clock().instant().plusSeconds(secs);
        return Reply.ok(runs.startWaiting(c.projectId(), id, worker, until, reason).toJson());
    }

    /** {@code {worker_id, payload, delay_ms}} -> 201 with the continuation (the run itself is completed). */
    private Reply continueRun(Call c) {
        UUID id = c.pathUuid("id", "run");
        Input in = Input.body(c.body(), false);
        in.allowOnly(Set.of("worker_id", "payload", "delay_ms"));
        String worker = workerId(in);
        Long delay = in.longValue("delay_ms", null, 0, 366L * 24 * 3600 * 1000);
        JsonNode payload = in.raw().get("payload");
        return Reply.created(runs.continueRun(c.projectId(), id, worker, payload, delay).toJson());
    }

    /**
     * {@code {worker_id, event_key, timeout_ms}}: the worker lets go of the run until the event is
     * sent ({@code POST /v1/events/{key}/send}) or the timeout passes; either way the run goes back
     * to its queue, and its next claim carries {@code event}. An event sent before answers at once
     * with {@code event} and the run still executing (the worker goes on).
     */
    private Reply waitForEvent(Call c, UUID id, Input in, String worker) {
        if (in.raw().has("timeout_secs") || in.raw().has("reason")) {
            throw ApiError.invalid(in.raw().has("timeout_secs") ? "timeout_secs" : "reason",
                    "is for a pause; a wait for an event takes event_key and timeout_ms");
        }
        String key = in.requiredString("event_key", 255);
        if (key.isEmpty()) {
            throw ApiError.invalid("event_key", "an event key is 1..255 characters");
        }
        long timeoutMs = in.longValue("timeout_ms", 3_600_000L, 1_000, 30L * 24 * 3600 * 1000);
        Instant until = runs.clock().instant().plusMillis(timeoutMs);
        RunStore.EventWait w = runs.waitForEvent(c.projectId(), id, worker, key, until);
        ObjectNode out = w.run().toJson();
        if (w.event() != null) {
            out.set("event", w.event().toJson());
        }
        return Reply.ok(out);
    }

    private Reply resume(Call c) {
        UUID id = c.pathUuid("id", "run");
        Input in = Input.body(c.body(), false);
        in.allowOnly(Set.of("worker_id", "lease_ms"));
        String worker = workerId(in);
        long leaseMs = in.longValue("lease_ms", 30_000L, 1_000, 3_600_000);
        return Reply.ok(runs.resume(c.projectId(), id, worker, leaseMs).toJson());
    }

    private static String resultOf(Input in) {
        JsonNode result = in.raw().get("result");
        // Most handlers return nothing: no need for a writer to say "null".
        return result == null || result.isNull() ? "null" : Json.write(result);
    }

    /** The error of a failure: {type, message, stacktrace}, strings, bounded. */
    private static String errorOf(Input in, String field) {
        JsonNode node = in.get(field);
        if (node == null) {
            return Json.write(Json.object().put("type", "error").put("message", "no error given"));
        }
        Input e = Input.of(node, in.name(field));
        e.allowOnly(Set.of("type", "message", "stacktrace", "data"));
        ObjectNode out = Json.object();
        out.put("type", e.string("type", "error", 500));
        out.put("message", e.string("message", "", 20_000));
        out.put("stacktrace", e.string("stacktrace", null, 200_000));
        if (e.has("data")) {
            out.set("data", e.get("data"));
        }
        return Json.write(out);
    }

    private static List<UUID> uuids(Input in, String field, int max) {
        List<String> raw = in.strings(field, max, 36);
        if (raw == null) {
            throw ApiError.invalid(field, "is required");
        }
        List<UUID> out = new ArrayList<>(raw.size());
        for (String s : raw) {
            out.add(parseUuid(s, field));
        }
        return out;
    }

    private static UUID parseUuid(String s, String field) {
        try {
            if (s.length() == 36) {
                return UUID.fromString(s);
            }
        } catch (IllegalArgumentException e) {
            // fall through
        }
        throw ApiError.invalid(field, "is not a run id");
    }

    private static ObjectNode data(List<ObjectNode> rows) {
        ObjectNode n = Json.object();
        var arr = n.putArray("data");
        rows.forEach(arr::add);
        return n;
    }
}
