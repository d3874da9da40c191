package io.drover.agent;

import java.time.Instant;

/**
 * A schedule of the watched engine as the agent sees it (the protocol's {@code POST /v1/agent/schedules}).
 *
 * @param type {@code cron}, {@code interval} or {@code date}
 * @param expression the cron expression, the interval in milliseconds, or the date
 */
public record ObservedSchedule(String scheduler, String name, String task, String type, String expression,
        boolean enabled, Instant nextRunAt, Instant lastRunAt) {}
