package io.drover.slos;

import io.drover.usage.Histogram;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The arithmetic of an evaluation, from the hourly rollup rows of a job (no database here).
 *
 * <p>Windows end now and are read from hourly rows: the row of the current hour counts whole (all
 * its runs finished before now), an older row by the fraction of its hour inside the window (its
 * runs are taken as spread evenly over the hour). Good and bad runs:
 * <ul>
 *   <li>{@code success_rate}: good = completed, bad = failed or dead-lettered + expired (timed out);
 *       canceled runs count neither way. The error budget is {@code 1 - target}.</li>
 *   <li>{@code duration_pNN_ms}: of the runs with a duration, bad = those slower than the target,
 *       read from the histogram: a bucket counts as slower when the value it stands for is above the
 *       target, so a run within 5% of the target ({@link Histogram#ALPHA}) may count either way.
 *       The error budget is {@code (100 - NN)%} of the runs.</li>
 * </ul>
 * The burn rate of a window is its bad fraction over the error budget (1 spends the budget exactly
 * over the objective's window); {@code budget_remaining} is {@code 1 -} the burn rate of the whole
 * window (negative: overspent). Status: {@code breached} when nothing of the budget is left;
 * {@code warning} when the 1 h burn rate is at least {@link #FAST_BURN} (2% of a 30-day budget in an
 * hour), or both the 6 h and the 1 h rates are at least {@link #SLOW_BURN} (5% of a 30-day budget in
 * 6 h, still burning in the last hour) — the SRE workbook's multi-window alerts with the windows the
 * hourly rollup can give; else {@code ok}.
 */
public final class SloMath {
    public static final double FAST_BURN = 14.4;
    public static final double SLOW_BURN = 6;
    static final Duration HOUR = Duration.ofHours(1);

    private SloMath() {}

    /** One hourly row of job_hourly, as far as an SLO reads it. */
    record Hour(Instant hour, long completed, long failed, long other, long[] buckets) {}

    /** What one window counted: runs (good + bad) and bad ones, weighted, and the weighted histogram. */
    record Counts(double runs, double bad, double[] buckets) {}

    /** An evaluation's outcome. */
    public record Result(String status, Double currentValue, double budgetRemaining, double burnRate1h,
            double burnRate6h, double windowRuns, double windowBad) {}

    /** The fraction of the runs that may be bad. */
    static double allowed(String metric, double target) {
        return switch (metric) {
            case Slo.SUCCESS_RATE -> 1 - target;
            case Slo.P95 -> 0.05;
            case Slo.P99 -> 0.01;
            default -> throw new IllegalArgumentException(metric);
        };
    }

    /** The weight of an hour's row in the window {@code [now - length, now)}. */
    static double weight(Instant hour, Instant now, Duration length) {
        Instant end = hour.plus(HOUR);
        if (hour.isAfter(now)) {
            return 0; // a row of the future (a clock moved back): not part of any window yet
        }
        if (!end.isBefore(now)) {
            return 1; // the current hour: all its runs finished before now
        }
        Instant from = now.minus(length);
        long inside = Duration.between(from.isAfter(hour) ? from : hour, end).toMillis();
        return Math.max(0, Math.min(1, inside / (double) HOUR.toMillis()));
    }

    static Counts count(List<Hour> hours, Instant now, Duration length, String metric, double target) {
        double runs = 0;
        double bad = 0;
        double[] buckets = new double[Histogram.BUCKETS];
        for (Hour h : hours) {
            double w = weight(h.hour(), now, length);
            if (w == 0) {
                continue;
            }
            if (Slo.SUCCESS_RATE.equals(metric)) {
                double b = h.failed() + h.other();
                runs += w * (h.completed() + b);
                bad += w * b;
            } else {
                for (int i = 0; i < Histogram.BUCKETS; i++) {
                    long n = h.buckets()[i];
                    if (n == 0) {
                        continue;
                    }
                    runs += w * n;
                    buckets[i] += w * n;
                    if (Histogram.value(i) > target) {
                        bad += w * n;
                    }
                }
            }
        }
        return new Counts(runs, bad, buckets);
    }

    static double burn(Counts c, double allowed) {
        return c.runs() == 0 ? 0 : c.bad() / c.runs() / allowed;
    }

    public static Result evaluate(List<Hour> hours, Instant now, String metric, double target, int windowDays) {
        double allowed = allowed(metric, target);
        Counts window = count(hours, now, Duration.ofDays(windowDays), metric, target);
        double burn1h = burn(count(hours, now, HOUR, metric, target), allowed);
        double burn6h = burn(count(hours, now, Duration.ofHours(6), metric, target), allowed);
        double remaining = 1 - burn(window, allowed);
        Double current = null;
        if (window.runs() > 0) {
            current = Slo.SUCCESS_RATE.equals(metric) ? (window.runs() - window.bad()) / window.runs()
                    : quantile(window.buckets(), Slo.P95.equals(metric) ? 0.95 : 0.99);
        }
        return new Result(status(remaining, window.runs(), burn1h, burn6h), current, remaining, burn1h, burn6h,
                window.runs(), window.bad());
    }

    static String status(double remaining, double runs, double burn1h, double burn6h) {
        if (runs > 0 && remaining <= 0) {
            return Slo.BREACHED;
        }
        if (burn1h >= FAST_BURN || (burn6h >= SLOW_BURN && burn1h >= SLOW_BURN)) {
            return Slo.WARNING;
        }
        return Slo.OK;
    }

    /** The q-quantile of weighted bucket counts, nearest rank, as {@link Histogram#quantile}. */
    static Double quantile(double[] counts, double q) {
        double total = 0;
        for (double c : counts) {
            total += c;
        }
        if (total == 0) {
            return null;
        }
        double rank = q * total;
        double seen = 0;
        for (int i = 0; i < counts.length; i++) {
            seen += counts[i];
            if (seen >= rank - 1e-9 && counts[i] > 0) {
                return Histogram.value(i);
            }
        }
        return Histogram.value(counts.length - 1);
    }
}
