package io.drover.bench;

import java.util.Arrays;
import java.util.Collection;

/** Percentiles of a sample (nearest rank), in the sample's unit. */
record Stats(int n, double p50, double p95, double p99, double max, double mean) {
    static Stats of(Collection<Double> values) {
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        if (v.length == 0) {
            return new Stats(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        }
        return new Stats(v.length, rank(v, 0.50), rank(v, 0.95), rank(v, 0.99), v[v.length - 1],
                Arrays.stream(v).average().orElse(Double.NaN));
    }

    private static double rank(double[] sorted, double p) {
        int i = (int) Math.ceil(p * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    /** The median of a few values (the middle run of three). */
    static double median(double... values) {
        double[] v = values.clone();
        Arrays.sort(v);
        int m = v.length / 2;
        return v.length % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2;
    }
}
