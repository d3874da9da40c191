package io.drover.endpoints;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.http.Json;
import io.drover.store.Db;
import io.drover.store.Query;
import io.drover.store.Sql;
import io.drover.store.SqlTime;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Health and circuit breaker of every outbound endpoint ({@code scheme://host:port}), for HTTP push
 * and (later) webhooks and log drains. Senders ask {@link #allow} before a request and
 * {@link #record} its outcome after it.
 *
 * <p>State lives in {@code endpoint_circuits}, one row per endpoint shared by all projects and
 * nodes, so every node holds the same sends: an outcome is one short transaction that locks the
 * row, updates the moving averages and applies the breaker's rules ({@link #next}). The set of
 * endpoints that are not closed (usually empty) is cached for {@link #CACHE_MS}, so that
 * {@code allow} costs nothing for a closed endpoint; this node's own changes refresh it at once,
 * another node's within the cache time.
 *
 * <p>Rules ({@link Breaker} holds the numbers): a closed circuit opens after {@code failures}
 * consecutive failures, or when the success rate falls below {@code minSuccessRate} with at least
 * {@code minSamples} outcomes. An open circuit holds sends for {@code openMs}; then one caller
 * claims the half-open probe (across nodes: a row update). The probe's success closes the circuit,
 * its failure opens it again for {@code openMs}. Circuit changes go to the {@link Hook} and the log.
 */
public final class EndpointHealth {
    private static final Logger log = LoggerFactory.getLogger(EndpointHealth.class);
    private static final Sql SQL = Sql.load("/sql/endpoints.sql");
    /** How long the set of not-closed endpoints is reused before it is read again. */
    static final long CACHE_MS = 500;

    public enum Outcome { SUCCESS, FAILURE, TIMEOUT }

    public enum Circuit {
        CLOSED("closed"), OPEN("open"), HALF_OPEN("half_open");

        private final String db;

        Circuit(String db) {
            this.db = db;
        }

        public String db() {
            return db;
        }

        static Circuit of(String db) {
            for (Circuit c : values()) {
                if (c.db.equals(db)) {
                    return c;
                }
            }
            throw new IllegalArgumentException(db);
        }
    }

    /** Where circuit changes go besides the log (the event log, once it is wired). */
    @FunctionalInterface
    public interface Hook {
        void changed(Connection c, String endpoint, Circuit from, Circuit to, Instant at, State state)
                throws SQLException;
    }

    /** One endpoint's row. */
    public record State(String endpoint, Circuit circuit, long samples, int consecutiveFailures, double successRate,
            double timeoutRate, Double latencyMs, Instant openedAt, Instant openUntil, Instant probeUntil,
            Instant lastFailureAt) {

        static State fresh(String endpoint) {
            return new State(endpoint, Circuit.CLOSED, 0, 0, 1, 0, null, null, null, null, null);
        }

        /**
         * 0..1: 60% success rate, 20% (1 - time-out rate), 20% latency ({@code target / (target +
         * latency)}, 1 with no sample yet).
         */
        public double healthScore(Breaker b) {
            double lat = latencyMs == null ? 1 : b.latencyTargetMs() / (b.latencyTargetMs() + latencyMs);
            double s = 0.6 * successRate + 0.2 * (1 - timeoutRate) + 0.2 * lat;
            return Math.max(0, Math.min(1, s));
        }

        public ObjectNode toJson(Breaker b) {
            ObjectNode n = Json.object();
            n.put("endpoint", endpoint);
            n.put("circuit", circuit.db());
            n.put("health_score", round(healthScore(b)));
            n.put("success_rate", round(successRate));
            n.put("timeout_rate", round(timeoutRate));
            if (latencyMs == null) {
                n.putNull("latency_ms");
            } else {
                n.put("latency_ms", Math.round(latencyMs));
            }
            n.put("samples", samples);
            n.put("consecutive_failures", consecutiveFailures);
            putTime(n, "opened_at", openedAt);
            putTime(n, "open_until", openUntil);
            putTime(n, "last_failure_at", lastFailureAt);
            return n;
        }

        private static double round(double d) {
            return Math.round(d * 10_000) / 10_000.0;
        }

        private static void putTime(ObjectNode n, String name, Instant t) {
            if (t == null) {
                n.putNull(name);
            } else {
                n.put(name, t.toString());
            }
        }
    }

    private final Db db;
    private final Breaker breaker;
    private final InstantSource clock;
    private final List<Hook> hooks = new CopyOnWriteArrayList<>();
    private volatile Snapshot snapshot = new Snapshot(Map.of(), Long.MIN_VALUE);

    private record Snapshot(Map<String, State> notClosed, long readAtNanos) {}

    public EndpointHealth(Db db, Breaker breaker, InstantSource clock) {
        this.db = db;
        this.breaker = breaker;
        this.clock = clock;
    }

    public Breaker breaker() {
        return breaker;
    }

    /** Adds a listener for circuit changes; it runs in the transaction that makes the change. */
    public void addHook(Hook hook) {
        hooks.add(hook);
    }

    /** The endpoints whose circuit is open or half-open, as last read (at most {@link #CACHE_MS} old). */
    public Map<String, State> notClosed() {
        Snapshot s = snapshot;
        if (System.nanoTime() - s.readAtNanos() > CACHE_MS * 1_000_000 || s.readAtNanos() == Long.MIN_VALUE) {
            s = refresh();
        }
        return s.notClosed();
    }

    private Snapshot refresh() {
        Map<String, State> m = db.read(c -> {
            Map<String, State> out = new HashMap<>();
            try (Query q = SQL.prepare(c, "not_closed"); ResultSet rs = q.query()) {
                while (rs.next()) {
                    State st = map(rs);
                    out.put(st.endpoint(), st);
                }
            }
            return out;
        });
        Snapshot s = new Snapshot(Map.copyOf(m), System.nanoTime());
        snapshot = s;
        return s;
    }

    /** True when a probe may be claimed now: open past its interval, or half-open with no live probe. */
    public boolean probeDue(State s) {
        Instant now = clock.instant();
        return switch (s.circuit()) {
            case CLOSED -> false;
            case OPEN -> s.openUntil() == null || !now.isBefore(s.openUntil());
            case HALF_OPEN -> s.probeUntil() == null || !now.isBefore(s.probeUntil());
        };
    }

    /**
     * May a request go to {@code endpoint} now? Closed: yes, without touching the database. Open
     * past its interval or half-open without a live probe: yes for exactly one caller across nodes,
     * whose request is the probe. Otherwise no: hold the send (do not count it as an attempt).
     */
    public boolean allow(String endpoint) {
        State s = notClosed().get(endpoint);
        if (s == null) {
            return true;
        }
        if (!probeDue(s)) {
            return false;
        }
        Boolean claimed = db.tx(c -> {
            try (Query q = SQL.prepare(c, "claim_probe")) {
                q.set("endpoint", endpoint).set("now", SqlTime.now(clock))
                        .set("probe_ms", breaker.probeTimeoutMs());
                try (ResultSet rs = q.query()) {
                    if (!rs.next()) {
                        return false;
                    }
                    Circuit before = Circuit.of(rs.getString(1));
                    if (before != Circuit.HALF_OPEN) {
                        changed(c, endpoint, before, Circuit.HALF_OPEN, lockState(c, endpoint));
                    }
                    return true;
                }
            }
        });
        refresh();
        return claimed;
    }

    /** A claimed probe that had nothing to send: another may be claimed at once. */
    public void releaseProbe(String endpoint) {
        db.tx(c -> {
            try (Query q = SQL.prepare(c, "release_probe")) {
                q.set("endpoint", endpoint).update();
            }
            return null;
        });
        refresh();
    }

    /** Records one request's outcome, moves the averages and applies the breaker's rules. */
    public State record(String endpoint, Outcome outcome, long latencyMs) {
        Instant now = clock.instant();
        State[] out = new State[1];
        boolean changed = db.tx(c -> {
            try (Query q = SQL.prepare(c, "ensure")) {
                q.set("endpoint", endpoint).set("now", SqlTime.now(clock)).update();
            }
            State before = lockState(c, endpoint);
            State after = next(before, outcome, latencyMs, now, breaker);
            try (Query q = SQL.prepare(c, "save")) {
                q.set("endpoint", endpoint).set("circuit", after.circuit().db()).set("samples", after.samples())
                        .set("consecutive_failures", after.consecutiveFailures())
                        .set("success_rate", after.successRate()).set("timeout_rate", after.timeoutRate())
                        .set("latency_ms", after.latencyMs(), Types.DOUBLE)
                        .set("opened_at", ts(after.openedAt()))
                        .set("open_until", ts(after.openUntil()))
                        .set("probe_until", ts(after.probeUntil()))
                        .set("last_failure_at", ts(after.lastFailureAt()))
                        .set("now", SqlTime.now(clock)).update();
            }
            out[0] = after;
            if (after.circuit() != before.circuit()) {
                changed(c, endpoint, before.circuit(), after.circuit(), after);
                return true;
            }
            return false;
        });
        if (changed || out[0].circuit() != Circuit.CLOSED || snapshot.notClosed().containsKey(endpoint)) {
            refresh();
        }
        return out[0];
    }

    /** The breaker's rules as a function: the state after one outcome. */
    static State next(State s, Outcome o, long latencyMs, Instant now, Breaker b) {
        double a = b.alpha();
        boolean ok = o == Outcome.SUCCESS;
        double success = s.successRate() * (1 - a) + (ok ? a : 0);
        double timeout = s.timeoutRate() * (1 - a) + (o == Outcome.TIMEOUT ? a : 0);
        Double latency = s.latencyMs() == null ? Double.valueOf(latencyMs) : s.latencyMs() * (1 - a) + a * latencyMs;
        long samples = s.samples() + 1;
        int consecutive = ok ? 0 : s.consecutiveFailures() + 1;
        Instant lastFailure = ok ? s.lastFailureAt() : now;
        Circuit circuit = s.circuit();
        Instant openedAt = s.openedAt();
        Instant openUntil = s.openUntil();
        Instant probeUntil = s.probeUntil();
        switch (s.circuit()) {
            case CLOSED -> {
                if (!ok && (consecutive >= b.failures()
                        || (samples >= b.minSamples() && success < b.minSuccessRate()))) {
                    circuit = Circuit.OPEN;
                    openedAt = now;
                    openUntil = now.plusMillis(b.openMs());
                    probeUntil = null;
                }
            }
            case HALF_OPEN -> {
                if (ok) {
                    circuit = Circuit.CLOSED;
                    openedAt = null;
                    openUntil = null;
                    probeUntil = null;
                } else {
                    circuit = Circuit.OPEN;
                    openedAt = now;
                    openUntil = now.plusMillis(b.openMs());
                    probeUntil = null;
                }
            }
            case OPEN -> {
                // an answer to a request sent before the circuit opened: it moves the averages, not the circuit
            }
        }
        return new State(s.endpoint(), circuit, samples, consecutive, success, timeout, latency, openedAt, openUntil,
                probeUntil, lastFailure);
    }

    private void changed(Connection c, String endpoint, Circuit from, Circuit to, State state) throws SQLException {
        Instant at = clock.instant();
        if (to == Circuit.OPEN) {
            log.warn("endpoint {} circuit {} -> {} ({} consecutive failures, success rate {}); sends held until {}",
                    endpoint, from.db(), to.db(), state.consecutiveFailures(),
                    String.format("%.2f", state.successRate()), state.openUntil());
        } else {
            log.info("endpoint {} circuit {} -> {}", endpoint, from.db(), to.db());
        }
        for (Hook h : hooks) {
            h.changed(c, endpoint, from, to, at, state);
        }
    }

    /** The states of these endpoints; one never seen is closed with no samples. */
    public List<State> states(Collection<String> endpoints) {
        Map<String, State> found = db.read(c -> {
            Map<String, State> out = new HashMap<>();
            try (Query q = SQL.prepare(c, "states")) {
                q.setArray("endpoints", "text", endpoints.toArray());
                try (ResultSet rs = q.query()) {
                    while (rs.next()) {
                        State st = map(rs);
                        out.put(st.endpoint(), st);
                    }
                }
            }
            return out;
        });
        List<State> out = new ArrayList<>();
        for (String e : new java.util.TreeSet<>(endpoints)) {
            out.add(found.getOrDefault(e, State.fresh(e)));
        }
        return out;
    }

    private record Versions(Set<String> endpoints, Map<String, List<String>> byEndpoint, long readAtNanos) {}

    private volatile Versions versions;

    /**
     * Job versions ({@code job_id:version}) per endpoint, for the http jobs whose endpoint is in
     * {@code endpoints}; reused for {@link #CACHE_MS} while the set is the same (the push dispatcher asks
     * on every pass while a circuit is not closed). A version made meanwhile is missed for that long at
     * most, and {@link #allow} still holds its runs before anything is sent.
     */
    public Map<String, List<String>> httpJobVersions(Set<String> endpoints) {
        Versions v = versions;
        if (v != null && v.endpoints().equals(endpoints) && System.nanoTime() - v.readAtNanos() < CACHE_MS * 1_000_000) {
            return v.byEndpoint();
        }
        Map<String, List<String>> read = readHttpJobVersions(endpoints);
        versions = new Versions(Set.copyOf(endpoints), read, System.nanoTime());
        return read;
    }

    private Map<String, List<String>> readHttpJobVersions(Set<String> endpoints) {
        return db.read(c -> {
            Map<String, List<String>> out = new HashMap<>();
            try (Query q = SQL.prepare(c, "http_job_versions"); ResultSet rs = q.query()) {
                while (rs.next()) {
                    String e = Endpoint.of(rs.getString(3));
                    if (e != null && endpoints.contains(e)) {
                        out.computeIfAbsent(e, k -> new ArrayList<>())
                                .add(rs.getObject(1, UUID.class) + ":" + rs.getInt(2));
                    }
                }
            }
            return out;
        });
    }

    /** The endpoints a project's http jobs send to. */
    public Set<String> projectPushEndpoints(UUID projectId) {
        return db.read(c -> {
            Set<String> out = new java.util.TreeSet<>();
            try (Query q = SQL.prepare(c, "project_push_urls")) {
                q.set("project_id", projectId);
                try (ResultSet rs = q.query()) {
                    while (rs.next()) {
                        String e = Endpoint.of(rs.getString(1));
                        if (e != null) {
                            out.add(e);
                        }
                    }
                }
            }
            return out;
        });
    }

    private static State lockState(Connection c, String endpoint) throws SQLException {
        try (Query q = SQL.prepare(c, "lock")) {
            q.set("endpoint", endpoint);
            try (ResultSet rs = q.query()) {
                return rs.next() ? map(rs) : State.fresh(endpoint);
            }
        }
    }

    private static Timestamp ts(Instant t) {
        return t == null ? null : Timestamp.from(t);
    }

    private static Instant instant(ResultSet rs, int i) throws SQLException {
        Timestamp t = rs.getTimestamp(i);
        return t == null ? null : t.toInstant();
    }

    private static State map(ResultSet rs) throws SQLException {
        double lat = rs.getDouble(7);
        Double latency = rs.wasNull() ? null : lat;
        return new State(rs.getString(1), Circuit.of(rs.getString(2)), rs.getLong(3), rs.getInt(4), rs.getDouble(5),
                rs.getDouble(6), latency, instant(rs, 8), instant(rs, 9), instant(rs, 10), instant(rs, 11));
    }
}
