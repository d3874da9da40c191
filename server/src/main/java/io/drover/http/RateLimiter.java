package io.drover.http;

import java.time.Instant;
import java.time.InstantSource;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per-API-key request limit: a token bucket per key ({@code ratePerSec} tokens a second, at most
 * {@code burst} saved up), kept in memory on each node. A request that finds the bucket empty is
 * answered 429 with {@code Retry-After}. The worker protocol costs one request per batch (a claim
 * long-polls, completions and heartbeats are batched), so the default leaves workers far below it.
 * The map holds one small entry per key that authenticated, so its size is bounded by the keys.
 */
public final class RateLimiter {
    private final double ratePerNano;
    private final double burst;
    private final ConcurrentHashMap<UUID, Bucket> buckets = new ConcurrentHashMap<>();
    private final InstantSource clock;

    /** {@code ratePerSec} 0 turns limiting off. */
    public RateLimiter(double ratePerSec, int burst) {
        this(ratePerSec, burst, InstantSource.system());
    }

    public RateLimiter(double ratePerSec, int burst, InstantSource clock) {
        this.ratePerNano = ratePerSec / 1e9;
        this.burst = Math.max(1, burst);
        this.clock = clock;
    }

    public boolean enabled() {
        return ratePerNano > 0;
    }

    /** Takes one token for {@code key}: 0 if allowed, else the nanoseconds until a token is there. */
    public long acquire(UUID key) {
        if (!enabled()) {
            return 0;
        }
        long now = nanos();
        return buckets.computeIfAbsent(key, k -> new Bucket(burst, now)).take(now, ratePerNano, burst);
    }

    private long nanos() {
        Instant t = clock.instant();
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }

    private static final class Bucket {
        private double tokens;
        private long last;

        Bucket(double burst, long now) {
            this.tokens = burst;
            this.last = now;
        }

        synchronized long take(long now, double ratePerNano, double burst) {
            // a wall clock may step back (NTP, a test clock): no refill then, and no debt
            tokens = Math.min(burst, tokens + Math.max(0, now - last) * ratePerNano);
            last = now;
            if (tokens >= 1) {
                tokens -= 1;
                return 0;
            }
            return (long) Math.ceil((1 - tokens) / ratePerNano);
        }
    }
}
