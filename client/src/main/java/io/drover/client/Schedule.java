package io.drover.client;

import java.time.Instant;

/**
 * When a job runs by itself: one of a cron expression, a fixed interval or a single date.
 *
 * @param cron a cron expression with 5 or 6 fields
 * @param intervalSecs a fixed interval in seconds
 * @param at a single date
 * @param timezone the time zone of the cron expression, such as {@code Europe/Paris}
 * @param overlapPolicy {@code allow}, {@code skip} or {@code cancel_running}
 */
public record Schedule(String cron, Long intervalSecs, Instant at, String timezone, String overlapPolicy) {

    /**
     * Creates a cron schedule with the server's default time zone and overlap policy.
     *
     * @param expression the cron expression
     * @return the schedule
     */
    public static Schedule cron(String expression) {
        return new Schedule(expression, null, null, null, null);
    }

    /**
     * Creates a fixed-interval schedule.
     *
     * @param seconds the interval in seconds
     * @return the schedule
     */
    public static Schedule every(long seconds) {
        return new Schedule(null, seconds, null, null, null);
    }
}
