package io.drover.agents;

/**
 * The liveness rules (API.md): {@code degraded} at an error rate of 0.5 or more, {@code online}
 * again only below 0.1 (the gap keeps an agent near one threshold from flapping), and
 * {@code offline} when no heartbeat came for {@code offline_after_ms} (the liveness pass). A hello
 * or a heartbeat brings an offline or unknown agent back.
 */
public final class AgentState {
    public static final String ONLINE = "online";
    public static final String DEGRADED = "degraded";
    public static final String OFFLINE = "offline";
    public static final String UNKNOWN = "unknown";
    public static final double DEGRADED_AT = 0.5;
    public static final double RECOVERED_BELOW = 0.1;

    private AgentState() {}

    /** The state after a heartbeat with {@code errorRate} (null: not reported, the rate is left out). */
    public static String afterHeartbeat(String current, Double errorRate) {
        if (errorRate == null) {
            return DEGRADED.equals(current) ? DEGRADED : ONLINE;
        }
        if (errorRate >= DEGRADED_AT) {
            return DEGRADED;
        }
        if (DEGRADED.equals(current) && errorRate >= RECOVERED_BELOW) {
            return DEGRADED;
        }
        return ONLINE;
    }

    /** The state after a hello: connected, so not offline; a degraded agent stays degraded until its rate says. */
    public static String afterHello(String current) {
        return DEGRADED.equals(current) ? DEGRADED : ONLINE;
    }
}
