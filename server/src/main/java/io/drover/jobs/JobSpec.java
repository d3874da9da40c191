package io.drover.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.http.ApiError;
import io.drover.http.Input;
import io.drover.http.Json;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A job definition as the API accepts and shows it. Each change makes a new version; a run keeps
 * the version it was triggered with.
 */
public record JobSpec(
        String slug,
        String name,
        String description,
        String execution,
        String queue,
        String endpointUrl,
        int maxAttempts,
        RetryPolicy retry,
        Integer timeoutSecs,
        Integer ttlSecs,
        int priority,
        Integer maxConcurrency,
        Integer maxConcurrencyPerKey,
        ScheduleSpec schedule,
        List<String> tags,
        ObjectNode defaultMetadata,
        boolean deadLetter,
        Map<String, String> headers,
        List<String> secrets,
        String secretsEnvironment,
        JsonNode outputSchema,
        List<String> rateLimitKeys) {

    public static final Pattern SLUG = io.drover.store.Ids.SLUG;
    private static final Pattern QUEUE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,99}");
    static final Set<String> FIELDS = Set.of("slug", "name", "description", "execution", "queue", "endpoint_url",
            "max_attempts", "retry", "timeout_secs", "ttl_secs", "priority", "max_concurrency",
            "max_concurrency_per_key", "schedule", "tags", "default_metadata", "dead_letter", "headers", "secrets",
            "secrets_environment", "output_schema", "rate_limit_keys");
    /** A rate limit key (POST /v1/rate-limits): the same shape as a queue name. */
    public static final Pattern RATE_LIMIT_KEY = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,99}");
    private static final Pattern ENVIRONMENT = Pattern.compile("[a-z0-9][a-z0-9_-]{0,63}");
    private static final Pattern HEADER_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9-]{0,63}");
    private static final Set<String> RESERVED_HEADERS = Set.of("content-type", "content-length", "host", "user-agent",
            "connection", "upgrade", "expect", "transfer-encoding");

    public boolean isHttp() {
        return execution.equals("http");
    }

    /**
     * Runs of limited jobs are queued not admitted: those with concurrency limits wait for
     * ConcurrencyGate, those with rate limit keys for the claim's rate-limited walk.
     */
    public boolean isLimited() {
        return maxConcurrency != null || maxConcurrencyPerKey != null || isRateLimited();
    }

    public boolean isRateLimited() {
        return !rateLimitKeys.isEmpty();
    }

    /** Parses a create body (base null) or a PATCH body over {@code base} (fields not given are kept). */
    public static JobSpec parse(JsonNode body, JobSpec base) {
        Input in = Input.body(body, base != null);
        in.allowOnly(FIELDS);
        String slug;
        if (base == null) {
            slug = in.requiredString("slug", 100);
            if (!SLUG.matcher(slug).matches()) {
                throw ApiError.invalid("slug", "must match [a-z0-9][a-z0-9-_]* (at most 100 characters)");
            }
        } else {
            slug = base.slug;
            if (in.has("slug") && !base.slug.equals(in.string("slug", null, 100))) {
                throw ApiError.invalid("slug", "cannot be changed; create a new job instead");
            }
        }
        String execution = in.oneOf("execution", base == null ? "worker" : base.execution, Set.of("worker", "http"));
        String queue = in.string("queue", base == null ? "default" : base.queue, 100);
        if (!QUEUE.matcher(queue).matches()) {
            throw ApiError.invalid("queue", "must match [A-Za-z0-9][A-Za-z0-9._:-]* (at most 100 characters)");
        }
        String endpoint = in.string("endpoint_url", base == null ? null : base.endpointUrl, 2000);
        if (execution.equals("http")) {
            if (endpoint == null) {
                throw ApiError.invalid("endpoint_url", "is required when execution is http");
            }
            validateUrl(endpoint);
        }
        RetryPolicy retry = in.has("retry") ? RetryPolicy.parse(Input.of(in.get("retry"), "retry"))
                : base == null ? RetryPolicy.DEFAULT : base.retry;
        ScheduleSpec schedule = in.raw().has("schedule")
                ? (in.has("schedule") ? ScheduleSpec.parse(Input.of(in.get("schedule"), "schedule")) : null)
                : base == null ? null : base.schedule;
        ObjectNode meta = in.raw().has("default_metadata") ? in.object("default_metadata")
                : base == null ? null : base.defaultMetadata;
        List<String> tags = in.raw().has("tags") ? in.strings("tags", 50, 100) : base == null ? null : base.tags;
        JobSpec spec = new JobSpec(
                slug,
                in.string("name", base == null ? null : base.name, 200),
                in.string("description", base == null ? null : base.description, 4000),
                execution,
                queue,
                execution.equals("http") ? endpoint : null,
                in.intValue("max_attempts", base == null ? 3 : base.maxAttempts, 1, 1000),
                retry,
                nullable(in, "timeout_secs", base == null ? null : base.timeoutSecs, 1, 7 * 24 * 3600),
                nullable(in, "ttl_secs", base == null ? null : base.ttlSecs, 1, 365 * 24 * 3600),
                in.intValue("priority", base == null ? 0 : base.priority, -1000, 1000),
                nullable(in, "max_concurrency", base == null ? null : base.maxConcurrency, 1, 100_000),
                nullable(in, "max_concurrency_per_key", base == null ? null : base.maxConcurrencyPerKey, 1, 100_000),
                schedule,
                tags == null ? List.of() : List.copyOf(tags),
                meta == null ? Json.object() : meta,
                in.bool("dead_letter", base == null || base.deadLetter),
                in.raw().has("headers") ? headers(in) : base == null ? Map.of() : base.headers,
                in.raw().has("secrets") ? secretNames(in) : base == null ? List.of() : base.secrets,
                secretsEnvironment(in, base),
                in.raw().has("output_schema") ? outputSchema(in) : base == null ? null : base.outputSchema,
                rateLimitKeys(in, base));
        if (spec.isRateLimited() && (spec.maxConcurrency != null || spec.maxConcurrencyPerKey != null)) {
            throw ApiError.invalid("rate_limit_keys", "cannot be combined with max_concurrency or max_concurrency_per_key");
        }
        return spec;
    }

    /**
     * The JSON Schema a completion's result must match; null (or absent) for none. Checked against
     * its draft's meta-schema and compiled here, so a job never holds a schema that cannot be used.
     */
    private static JsonNode outputSchema(Input in) {
        JsonNode schema = in.get("output_schema");
        if (schema == null) {
            return null;
        }
        if (Json.write(schema).length() > 64 * 1024) {
            throw ApiError.invalid("output_schema", "at most 65536 characters of JSON");
        }
        List<OutputSchemas.Problem> problems = OutputSchemas.checkSchema(schema);
        if (!problems.isEmpty()) {
            OutputSchemas.Problem first = problems.get(0);
            throw new ApiError(422, "validation_failed", "output_schema is not a valid JSON Schema: at "
                    + first.path() + ": " + first.message(), Map.of("field", "output_schema", "problems",
                            problems.stream().map(p -> Map.of("path", p.path(), "message", p.message())).toList()));
        }
        return schema.deepCopy();
    }

    /**
     * Named rate limits (POST /v1/rate-limits) the job's runs count against; each must exist in the
     * project (JobStore checks that in the job's transaction). Not with concurrency limits: both
     * hold runs back from the claim by admission, and one run answers to one of them.
     */
    private static List<String> rateLimitKeys(Input in, JobSpec base) {
        List<String> keys = in.raw().has("rate_limit_keys") ? in.strings("rate_limit_keys", 10, 100)
                : base == null ? null : base.rateLimitKeys;
        if (keys == null) {
            return List.of();
        }
        for (String k : keys) {
            if (!RATE_LIMIT_KEY.matcher(k).matches()) {
                throw ApiError.invalid("rate_limit_keys", "'" + k + "' is not a rate limit key ([A-Za-z0-9][A-Za-z0-9._:-]*)");
            }
        }
        List<String> distinct = List.copyOf(new java.util.TreeSet<>(keys));
        return distinct;
    }

    /** Which environment's secrets fill {@code {{secrets.NAME}}} and {@code secrets}; default "default". */
    private static String secretsEnvironment(Input in, JobSpec base) {
        String env = in.string("secrets_environment", base == null ? "default" : base.secretsEnvironment, 64);
        if (env == null) {
            return "default";
        }
        if (!ENVIRONMENT.matcher(env).matches()) {
            throw ApiError.invalid("secrets_environment", "must match [a-z0-9][a-z0-9_-]* (at most 64 characters)");
        }
        return env;
    }

    /** Names of project secrets that claim responses carry to workers whose key may read secrets. */
    private static List<String> secretNames(Input in) {
        List<String> names = in.strings("secrets", 50, 128);
        if (names == null) {
            return List.of();
        }
        for (String n : names) {
            if (!n.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                throw ApiError.invalid("secrets", "'" + n + "' is not a secret name ([A-Za-z_][A-Za-z0-9_]*)");
            }
        }
        return List.copyOf(new java.util.LinkedHashSet<>(names));
    }

    /**
     * Extra headers of HTTP push requests; values may hold {@code {{secrets.NAME}}}, filled in at
     * send time from the project's secrets (the stored spec keeps the reference, never the value).
     */
    private static Map<String, String> headers(Input in) {
        ObjectNode h = in.object("headers");
        if (h == null) {
            return Map.of();
        }
        if (h.size() > 20) {
            throw ApiError.invalid("headers", "at most 20 headers");
        }
        Map<String, String> out = new java.util.TreeMap<>();
        for (var e : h.properties()) {
            String name = e.getKey();
            String lower = name.toLowerCase(java.util.Locale.ROOT);
            if (!HEADER_NAME.matcher(name).matches() || RESERVED_HEADERS.contains(lower)
                    || lower.startsWith("x-drover-")) {
                throw ApiError.invalid("headers." + name, "is not a header name that a job may set");
            }
            if (!e.getValue().isTextual() || e.getValue().textValue().length() > 2000
                    || e.getValue().textValue().matches("(?s).*[\\r\\n].*")) {
                throw ApiError.invalid("headers." + name, "must be a single-line string of at most 2000 characters");
            }
            out.put(name, e.getValue().textValue());
        }
        return java.util.Collections.unmodifiableMap(out);
    }

    /** An explicit JSON null clears an optional setting on PATCH. */
    private static Integer nullable(Input in, String field, Integer current, int min, int max) {
        if (in.raw().has(field) && in.raw().get(field).isNull()) {
            return null;
        }
        return in.intValue(field, current, min, max);
    }

    private static void validateUrl(String url) {
        try {
            URI uri = new URI(url);
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
                throw ApiError.invalid("endpoint_url", "must be an absolute http:// or https:// URL");
            }
        } catch (java.net.URISyntaxException e) {
            throw ApiError.invalid("endpoint_url", "is not a valid URL: " + e.getReason());
        }
    }

    public ObjectNode toJson() {
        ObjectNode n = Json.object();
        n.put("slug", slug);
        n.put("name", name);
        n.put("description", description);
        n.put("execution", execution);
        n.put("queue", queue);
        n.put("endpoint_url", endpointUrl);
        n.put("max_attempts", maxAttempts);
        n.set("retry", retry.toJson());
        n.put("timeout_secs", timeoutSecs);
        n.put("ttl_secs", ttlSecs);
        n.put("priority", priority);
        n.put("max_concurrency", maxConcurrency);
        n.put("max_concurrency_per_key", maxConcurrencyPerKey);
        n.set("schedule", schedule == null ? null : schedule.toJson());
        var arr = n.putArray("tags");
        tags.forEach(arr::add);
        n.set("default_metadata", defaultMetadata);
        n.put("dead_letter", deadLetter);
        ObjectNode h = n.putObject("headers");
        headers.forEach(h::put);
        var s = n.putArray("secrets");
        secrets.forEach(s::add);
        n.put("secrets_environment", secretsEnvironment);
        n.set("output_schema", outputSchema);
        var rk = n.putArray("rate_limit_keys");
        rateLimitKeys.forEach(rk::add);
        return n;
    }

    /** Reads a spec that Drover stored itself. */
    public static JobSpec fromStored(JsonNode stored) {
        return parse(stored, null);
    }
}
