package io.drover.jobs;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinition;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.http.ApiError;
import io.drover.http.Input;
import io.drover.http.Json;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.Optional;
import java.util.Set;

/**
 * When a job fires by itself: a cron expression (5 fields, or 6 with seconds first) in a time
 * zone, a fixed interval, or one date. {@link #nextAfter(Instant)} gives the next tick strictly
 * after a time; {@code null} when there is none.
 */
public record ScheduleSpec(String cron, Long intervalSecs, Instant at, String timezone, String overlapPolicy) {
    public static final Set<String> OVERLAP = Set.of("allow", "skip", "cancel_running");
    private static final CronParser UNIX = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
    private static final CronParser WITH_SECONDS = new CronParser(secondsDefinition());

    public String kind() {
        return cron != null ? "cron" : intervalSecs != null ? "interval" : "at";
    }

    public Instant nextAfter(Instant after) {
        if (cron != null) {
            // whole seconds: cron-utils keeps the fraction of its start time, so a tick planned from
            // 10:00:00.187 would fire at 10:00:01.187 and every later tick with the same offset
            ZonedDateTime from = after.atZone(ZoneId.of(timezone)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
            Optional<ZonedDateTime> next = ExecutionTime.forCron(parseCron(cron)).nextExecution(from);
            return next.map(ZonedDateTime::toInstant).orElse(null);
        }
        if (intervalSecs != null) {
            return after.plusSeconds(intervalSecs);
        }
        return at.isAfter(after) ? at : null;
    }

    /** The first tick for a schedule created (or changed) at {@code now}. */
    public Instant first(Instant now) {
        if (at != null) {
            return at;
        }
        return nextAfter(now);
    }

    static Cron parseCron(String expr) {
        String[] parts = expr.trim().split("\\s+");
        Cron cron = parts.length == 6 ? WITH_SECONDS.parse(expr.trim()) : UNIX.parse(expr.trim());
        return cron.validate();
    }

    private static CronDefinition secondsDefinition() {
        return CronDefinitionBuilder.defineCron()
                .withSeconds().and()
                .withMinutes().and()
                .withHours().and()
                .withDayOfMonth().supportsL().supportsW().supportsLW().supportsQuestionMark().and()
                .withMonth().and()
                .withDayOfWeek().withValidRange(0, 7).withMondayDoWValue(1).withIntMapping(7, 0)
                .supportsHash().supportsL().supportsQuestionMark().and()
                .withSupportedNicknameHourly().withSupportedNicknameDaily().withSupportedNicknameWeekly()
                .withSupportedNicknameMonthly().withSupportedNicknameYearly().withSupportedNicknameMidnight()
                .instance();
    }

    public static ScheduleSpec parse(Input in) {
        in.allowOnly(Set.of("cron", "interval_secs", "at", "timezone", "overlap_policy"));
        String cron = in.string("cron", null, 200);
        Long interval = in.longValue("interval_secs", null, 1, 366L * 24 * 3600);
        Instant at = in.instant("at");
        int kinds = (cron != null ? 1 : 0) + (interval != null ? 1 : 0) + (at != null ? 1 : 0);
        if (kinds != 1) {
            throw ApiError.invalid(in.name("cron"), "a schedule needs exactly one of cron, interval_secs or at");
        }
        String tz = in.string("timezone", "UTC", 64);
        try {
            ZoneId.of(tz);
        } catch (DateTimeException e) {
            throw ApiError.invalid(in.name("timezone"), "unknown time zone '" + tz + "' (use an IANA name such as Europe/Paris)");
        }
        if (cron != null) {
            int fields = cron.trim().split("\\s+").length;
            if (fields != 5 && fields != 6) {
                throw ApiError.invalid(in.name("cron"), "must have 5 fields (minute hour day month weekday) or 6 (seconds first)");
            }
            try {
                parseCron(cron);
            } catch (IllegalArgumentException e) {
                throw ApiError.invalid(in.name("cron"), "invalid cron expression: " + e.getMessage());
            }
        }
        String overlap = in.oneOf("overlap_policy", "allow", OVERLAP);
        return new ScheduleSpec(cron, interval, at, tz, overlap);
    }

    public ObjectNode toJson() {
        ObjectNode n = Json.object();
        if (cron != null) {
            n.put("cron", cron);
        }
        if (intervalSecs != null) {
            n.put("interval_secs", intervalSecs);
        }
        if (at != null) {
            n.put("at", at.toString());
        }
        n.put("timezone", timezone);
        n.put("overlap_policy", overlapPolicy);
        return n;
    }
}
