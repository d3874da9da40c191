package io.drover.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Server settings, from flags first, then {@code DROVER_*} environment variables, then defaults.
 * {@link #validate()} names the setting and the fix for every problem, before anything starts.
 */
public record Config(
        int port,
        String bindHost,
        Path dataDir,
        Optional<String> databaseUrl,
        Optional<String> adminApiKey,
        Optional<String> secretsKey,
        int poolSize,
        long maxBodyBytes,
        int pushConcurrency,
        int pushConnectTimeoutMs,
        int pushReadTimeoutMs,
        long pollIntervalMs,
        long reaperIntervalMs,
        long shutdownGraceMs,
        boolean pushEnabled,
        long httpIdleTimeoutMs,
        double rateLimitPerSec,
        int rateLimitBurst,
        String outboundAllow,
        io.drover.endpoints.Breaker breaker,
        int metricsMaxJobs,

        long webhookBackoffMs,
        int webhookMaxAttempts,
        long agentHeartbeatMs,
        int maxLineageDepth) {

    public static Config fromEnv(Map<String, String> env) {
        return new Config(
                intEnv(env, "DROVER_PORT", 7070),
                env.getOrDefault("DROVER_BIND", "0.0.0.0"),
                Path.of(env.getOrDefault("DROVER_DATA_DIR", "./drover-data")),
                opt(env, "DROVER_DATABASE_URL"),
                opt(env, "DROVER_ADMIN_API_KEY"),
                opt(env, "DROVER_SECRETS_KEY"),
                intEnv(env, "DROVER_DB_POOL_SIZE", 32),
                longEnv(env, "DROVER_MAX_BODY_BYTES", 1024 * 1024),
                intEnv(env, "DROVER_PUSH_CONCURRENCY", 64),
                intEnv(env, "DROVER_PUSH_CONNECT_TIMEOUT_MS", 5_000),
                intEnv(env, "DROVER_PUSH_READ_TIMEOUT_MS", 30_000),
                longEnv(env, "DROVER_POLL_INTERVAL_MS", 1_000),
                longEnv(env, "DROVER_REAPER_INTERVAL_MS", 1_000),
                longEnv(env, "DROVER_SHUTDOWN_GRACE_MS", 10_000),
                !"false".equalsIgnoreCase(env.getOrDefault("DROVER_PUSH_ENABLED", "true")),
                // above the longest long-poll (30 s) with margin; a silent or half-open client is cut off after it
                longEnv(env, "DROVER_HTTP_IDLE_TIMEOUT_MS", 65_000),
                // per API key and node; generous, so that only a runaway client meets it (0 turns it off)
                doubleEnv(env, "DROVER_RATE_LIMIT_PER_SEC", 5_000),
                intEnv(env, "DROVER_RATE_LIMIT_BURST", 10_000),
                // destinations outbound requests may reach although they are not public (default: none)
                env.getOrDefault("DROVER_OUTBOUND_ALLOW", ""),
                // endpoint health and circuit breakers (DROVER_CIRCUIT_*, DROVER_ENDPOINT_*)
                breakerFromEnv(env),
                // distinct job label values in the per-job metrics; the rest count as job="_other"
                intEnv(env, "DROVER_METRICS_MAX_JOBS", 200),
                // webhook deliveries: the first retry's delay (doubling, with jitter) and the attempts before dead
                longEnv(env, "DROVER_WEBHOOK_BACKOFF_MS", 5_000),
                intEnv(env, "DROVER_WEBHOOK_MAX_ATTEMPTS", 12),
                // the heartbeat interval given to agents; offline_after_ms is 3x
                longEnv(env, "DROVER_AGENT_HEARTBEAT_MS", 10_000),
                // how many continuations may follow one another (POST /v1/runs/{id}/continue)
                intEnv(env, "DROVER_MAX_LINEAGE_DEPTH", 100));
    }

    public Config withPort(int port) {
        return new Config(port, bindHost, dataDir, databaseUrl, adminApiKey, secretsKey, poolSize, maxBodyBytes,
                pushConcurrency, pushConnectTimeoutMs, pushReadTimeoutMs, pollIntervalMs, reaperIntervalMs,
                shutdownGraceMs, pushEnabled, httpIdleTimeoutMs, rateLimitPerSec, rateLimitBurst, outboundAllow,
                breaker, metricsMaxJobs, webhookBackoffMs, webhookMaxAttempts, agentHeartbeatMs, maxLineageDepth);
    }

    public Config withDataDir(Path dataDir) {
        return new Config(port, bindHost, dataDir, databaseUrl, adminApiKey, secretsKey, poolSize, maxBodyBytes,
                pushConcurrency, pushConnectTimeoutMs, pushReadTimeoutMs, pollIntervalMs, reaperIntervalMs,
                shutdownGraceMs, pushEnabled, httpIdleTimeoutMs, rateLimitPerSec, rateLimitBurst, outboundAllow,
                breaker, metricsMaxJobs, webhookBackoffMs, webhookMaxAttempts, agentHeartbeatMs, maxLineageDepth);
    }

    public Config withDatabaseUrl(Optional<String> databaseUrl) {
        return new Config(port, bindHost, dataDir, databaseUrl, adminApiKey, secretsKey, poolSize, maxBodyBytes,
                pushConcurrency, pushConnectTimeoutMs, pushReadTimeoutMs, pollIntervalMs, reaperIntervalMs,
                shutdownGraceMs, pushEnabled, httpIdleTimeoutMs, rateLimitPerSec, rateLimitBurst, outboundAllow,
                breaker, metricsMaxJobs, webhookBackoffMs, webhookMaxAttempts, agentHeartbeatMs, maxLineageDepth);
    }

    public Config withAdminApiKey(Optional<String> adminApiKey) {
        return new Config(port, bindHost, dataDir, databaseUrl, adminApiKey, secretsKey, poolSize, maxBodyBytes,
                pushConcurrency, pushConnectTimeoutMs, pushReadTimeoutMs, pollIntervalMs, reaperIntervalMs,
                shutdownGraceMs, pushEnabled, httpIdleTimeoutMs, rateLimitPerSec, rateLimitBurst, outboundAllow,
                breaker, metricsMaxJobs, webhookBackoffMs, webhookMaxAttempts, agentHeartbeatMs, maxLineageDepth);
    }

    /** Problems with the settings, each naming the setting and how to fix it; empty when all is well. */
    public List<String> validate() {
        List<String> problems = new ArrayList<>();
        if (port < 0 || port > 65535) {
            problems.add("DROVER_PORT/--port must be 0..65535 (0 picks a free port), got " + port);
        }
        if (poolSize < 4 || poolSize > 500) {
            problems.add("DROVER_DB_POOL_SIZE must be 4..500, got " + poolSize);
        }
        if (maxBodyBytes < 1024) {
            problems.add("DROVER_MAX_BODY_BYTES must be at least 1024, got " + maxBodyBytes);
        }
        if (pushConcurrency < 1 || pushConcurrency > 10_000) {
            problems.add("DROVER_PUSH_CONCURRENCY must be 1..10000, got " + pushConcurrency);
        }
        problems.addAll(breaker.problems());
        if (pushConnectTimeoutMs < 1 || pushReadTimeoutMs < 1) {
            problems.add("DROVER_PUSH_CONNECT_TIMEOUT_MS and DROVER_PUSH_READ_TIMEOUT_MS must be at least 1");
        }
        if (pollIntervalMs < 10 || reaperIntervalMs < 10) {
            problems.add("DROVER_POLL_INTERVAL_MS and DROVER_REAPER_INTERVAL_MS must be at least 10");
        }
        if (httpIdleTimeoutMs < 1_000) {
            problems.add("DROVER_HTTP_IDLE_TIMEOUT_MS must be at least 1000, got " + httpIdleTimeoutMs);
        }
        if (rateLimitPerSec < 0 || Double.isNaN(rateLimitPerSec)) {
            problems.add("DROVER_RATE_LIMIT_PER_SEC must be 0 (off) or more, got " + rateLimitPerSec);
        }
        if (rateLimitBurst < 1) {
            problems.add("DROVER_RATE_LIMIT_BURST must be at least 1, got " + rateLimitBurst);
        }
        if (metricsMaxJobs < 1 || metricsMaxJobs > 10_000) {
            problems.add("DROVER_METRICS_MAX_JOBS must be 1..10000, got " + metricsMaxJobs);
        }
        databaseUrl.ifPresent(url -> {
            if (!url.startsWith("jdbc:postgresql:") && !url.startsWith("postgresql://")
                    && !url.startsWith("postgres://")) {
                problems.add("DROVER_DATABASE_URL must look like postgresql://user:pass@host:port/db "
                        + "or jdbc:postgresql://host:port/db");
            }
        });
        secretsKey.ifPresent(key -> {
            try {
                if (java.util.Base64.getDecoder().decode(key.strip()).length != 32) {
                    problems.add("DROVER_SECRETS_KEY must be 32 bytes in base64 (openssl rand -base64 32)");
                }
            } catch (IllegalArgumentException e) {
                problems.add("DROVER_SECRETS_KEY is not valid base64 (openssl rand -base64 32)");
            }
        });
        adminApiKey.ifPresent(key -> {
            if (key.length() < 16) {
                problems.add("DROVER_ADMIN_API_KEY must be at least 16 characters");
            }
        });
        if (webhookBackoffMs < 1 || webhookBackoffMs > 86_400_000L) {
            problems.add("DROVER_WEBHOOK_BACKOFF_MS must be 1..86400000, got " + webhookBackoffMs);
        }
        if (webhookMaxAttempts < 1 || webhookMaxAttempts > 100) {
            problems.add("DROVER_WEBHOOK_MAX_ATTEMPTS must be 1..100, got " + webhookMaxAttempts);
        }
        if (agentHeartbeatMs < 100 || agentHeartbeatMs > 3_600_000) {
            problems.add("DROVER_AGENT_HEARTBEAT_MS must be 100..3600000, got " + agentHeartbeatMs);
        }
        if (maxLineageDepth < 1 || maxLineageDepth > 1_000_000) {
            problems.add("DROVER_MAX_LINEAGE_DEPTH must be 1..1000000, got " + maxLineageDepth);
        }
        try {
            io.drover.outbound.OutboundGuard.parse(outboundAllow);
        } catch (IllegalArgumentException e) {
            problems.add("DROVER_OUTBOUND_ALLOW: " + e.getMessage());
        }
        return problems;
    }

    /** The outbound guard that {@code DROVER_OUTBOUND_ALLOW} describes (call after {@link #validate()}). */
    public io.drover.outbound.OutboundGuard outboundGuard() {
        return io.drover.outbound.OutboundGuard.parse(outboundAllow);
    }

    private static Optional<String> opt(Map<String, String> env, String name) {
        String v = env.get(name);
        return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.strip());
    }

    /** The circuit breaker's settings (README.md, "Endpoint health and circuit breakers"). */
    private static io.drover.endpoints.Breaker breakerFromEnv(Map<String, String> env) {
        return new io.drover.endpoints.Breaker(
                intEnv(env, "DROVER_CIRCUIT_FAILURES", io.drover.endpoints.Breaker.DEFAULTS.failures()),
                longEnv(env, "DROVER_CIRCUIT_OPEN_MS", io.drover.endpoints.Breaker.DEFAULTS.openMs()),
                longEnv(env, "DROVER_CIRCUIT_PROBE_TIMEOUT_MS", io.drover.endpoints.Breaker.DEFAULTS.probeTimeoutMs()),
                intEnv(env, "DROVER_CIRCUIT_MIN_SAMPLES", io.drover.endpoints.Breaker.DEFAULTS.minSamples()),
                doubleEnv(env, "DROVER_CIRCUIT_MIN_SUCCESS_RATE", io.drover.endpoints.Breaker.DEFAULTS.minSuccessRate()),
                doubleEnv(env, "DROVER_ENDPOINT_EWMA_ALPHA", io.drover.endpoints.Breaker.DEFAULTS.alpha()),
                longEnv(env, "DROVER_ENDPOINT_LATENCY_TARGET_MS", io.drover.endpoints.Breaker.DEFAULTS.latencyTargetMs()));
    }

    /** A number setting, or {@code dflt} when unset; a value that is not a number names the setting. */
    public static double doubleEnv(Map<String, String> env, String name, double dflt) {
        String v = env.get(name);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        try {
            return Double.parseDouble(v.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a number, got '" + v + "'");
        }
    }

    public static int intEnv(Map<String, String> env, String name, int dflt) {
        return (int) longEnv(env, name, dflt);
    }

    public static long longEnv(Map<String, String> env, String name, long dflt) {
        String v = env.get(name);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        try {
            return Long.parseLong(v.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a whole number, got '" + v + "'");
        }
    }
}
