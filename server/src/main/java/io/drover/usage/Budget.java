package io.drover.usage;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.drover.http.Json;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZonedDateTime;

/** A project's budget: limits in micro-USD (null: none), what to do over a window's limit, and its time zone. */
public record Budget(Long perRunMicrousd, Long dailyMicrousd, Long monthlyMicrousd, String action, ZoneId zone) {

    public static final String REJECT = "reject";
    public static final String BLOCK = "block";
    public static final String NOTIFY = "notify";

    public ObjectNode toJson() {
        ObjectNode n = Json.object();
        n.put("per_run_microusd", perRunMicrousd);
        n.put("daily_microusd", dailyMicrousd);
        n.put("monthly_microusd", monthlyMicrousd);
        n.put("action", action);
        n.put("time_zone", zone.getId());
        return n;
    }

    /** A day or a month of the project's calendar: its first local day and the instant it ends. */
    public record Window(String period, LocalDate start, java.time.Instant end) {}

    public static Window day(ZoneId zone, java.time.Instant at) {
        LocalDate d = at.atZone(zone).toLocalDate();
        return new Window("day", d, d.plusDays(1).atStartOfDay(zone).toInstant());
    }

    public static Window month(ZoneId zone, java.time.Instant at) {
        ZonedDateTime z = at.atZone(zone);
        LocalDate first = z.toLocalDate().withDayOfMonth(1);
        return new Window("month", first, first.plusMonths(1).atStartOfDay(zone).toInstant());
    }
}
