package io.drover.identity;

import io.drover.access.Principal;
import io.drover.access.Role;
import io.drover.crypto.Keys;
import io.drover.store.Db;
import io.drover.store.Query;
import io.drover.store.Sql;
import io.drover.store.SqlTime;
import io.drover.store.UuidV7;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.ResultSet;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * API keys: shown once, stored only as HMAC-SHA256 under a server pepper, looked up by that hash
 * (an index lookup, so the comparison never walks secrets byte by byte) and confirmed with a
 * constant-time comparison. Lookups are cached for a few seconds; {@code last_used_at} is written
 * at most once a minute per key.
 */
public final class ApiKeys {
    private static final Logger log = LoggerFactory.getLogger(ApiKeys.class);
    private static final Sql SQL = Sql.load("/sql/identity.sql");
    private static final long CACHE_MS = 2_000;
    private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    private final Db db;
    private final InstantSource clock;
    private final byte[] pepper;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();
    private final Map<UUID, Long> lastTouched = new ConcurrentHashMap<>();

    private record Cached(Principal principal, byte[] hash, long loadedAt) {}

    public ApiKeys(Db db, Keys keys) {
        this(db, keys, InstantSource.system());
    }

    public ApiKeys(Db db, Keys keys, InstantSource clock) {
        this.clock = clock;
        this.db = db;
        this.pepper = keys.derive("drover api key pepper v1");
    }

    public byte[] hash(String key) {
        return Keys.hmac(pepper, key.getBytes(StandardCharsets.UTF_8));
    }

    public String generate() {
        StringBuilder sb = new StringBuilder("drv_");
        for (int i = 0; i < 40; i++) {
            sb.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
        }
        return sb.toString();
    }

    /** The caller behind a bearer token, or empty for an unknown, revoked or expired key. */
    public Optional<Principal> authenticate(String key) {
        if (key == null || key.isEmpty() || key.length() > 512) {
            return Optional.empty();
        }
        byte[] hash = hash(key);
        String cacheKey = HexFormat.of().formatHex(hash);
        long now = clock.millis();
        Cached cached = cache.get(cacheKey);
        if (cached == null || now - cached.loadedAt() > CACHE_MS) {
            cached = load(hash, now);
            if (cache.size() > 10_000) {
                cache.clear();
            }
            cache.put(cacheKey, cached);
        }
        if (cached.principal() == null || !Keys.constantTimeEquals(cached.hash(), hash)) {
            return Optional.empty();
        }
        touch(cached.principal().keyId(), now);
        return Optional.of(cached.principal());
    }

    private Cached load(byte[] hash, long now) {
        return db.read(c -> {
            try (Query q = SQL.prepare(c, "api_key_by_hash")) {
                q.set("key_hash", hash).set("now", SqlTime.now(clock)); // the database's clock unless a test moves one
                try (ResultSet rs = q.query()) {
                    if (!rs.next()) {
                        return new Cached(null, hash, now);
                    }
                    return new Cached(Principal.key(rs.getObject(2, UUID.class), rs.getObject(1, UUID.class),
                            Role.fromDb(rs.getString(3)), rs.getBoolean(5)), rs.getBytes(4), now);
                }
            }
        });
    }

    /** Drops cached lookups (after a revoke or rotation, so this node sees it at once). */
    public void forget() {
        cache.clear();
    }

    private void touch(UUID keyId, long now) {
        Long last = lastTouched.get(keyId);
        if (last != null && now - last < 60_000) {
            return;
        }
        lastTouched.put(keyId, now);
        try {
            db.read(c -> {
                try (Query q = SQL.prepare(c, "touch_api_key")) {
                    return q.set("id", keyId).update();
                }
            });
        } catch (RuntimeException e) {
            log.debug("could not record last_used_at: {}", e.toString());
        }
    }

    /**
     * On a start where no API key exists: creates the project {@code default} and an admin key,
     * with the given value or a generated one that is printed once and written to
     * {@code <dataDir>/admin-api-key} (mode 0600).
     */
    public void bootstrap(Optional<String> adminKey, Path dataDir) throws IOException {
        String key = adminKey.orElseGet(this::generate);
        boolean created = db.tx(c -> {
            try (Query lock = SQL.prepare(c, "bootstrap_lock")) {
                lock.execute();
            }
            try (Query q = SQL.prepare(c, "any_api_key"); ResultSet rs = q.query()) {
                if (rs.next()) {
                    return false;
                }
            }
            UUID projectId;
            try (Query q = SQL.prepare(c, "bootstrap_project")) {
                q.set("id", UuidV7.next());
                try (ResultSet rs = q.query()) {
                    rs.next();
                    projectId = rs.getObject(1, UUID.class);
                }
            }
            try (Query q = SQL.prepare(c, "bootstrap_api_key")) {
                q.set("id", UuidV7.next()).set("project_id", projectId)
                        .set("prefix", key.substring(0, Math.min(8, key.length()))).set("key_hash", hash(key)).update();
            }
            return true;
        });
        if (created && adminKey.isEmpty()) {
            Path file = dataDir.resolve("admin-api-key");
            java.nio.file.Files.createDirectories(dataDir);
            Keys.writePrivate(file, key + "\n");
            // Printed once, on purpose, to the console (not the log): the operator needs it to start.
            System.out.println("Drover admin API key (shown once; also saved to " + file + "):\n  " + key);
        } else if (created) {
            log.info("created project 'default' with the admin API key from DROVER_ADMIN_API_KEY");
        }
    }

    public static Instant never() {
        return Instant.MAX;
    }
}
