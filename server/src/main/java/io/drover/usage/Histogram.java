package io.drover.usage;

/**
 * Fixed log-spaced buckets for durations in milliseconds, mergeable by adding counts. Bucket 0
 * holds durations up to 1 ms; bucket i > 0 holds (G^(i-1), G^i] ms, with G = (1 + a) / (1 - a)
 * and a = 0.05, and stands for 2 G^i / (G + 1): every value of the bucket is within a = 5% of it,
 * so a percentile read from the buckets is within 5% of the exact one (1 ms absolute below 1 ms).
 * {@link #BUCKETS} buckets reach past 30 days; longer durations count in the last.
 */
public final class Histogram {
    public static final double ALPHA = 0.05;
    static final double G = (1 + ALPHA) / (1 - ALPHA);
    private static final double LOG_G = Math.log(G);
    public static final int BUCKETS = 230;

    private Histogram() {}

    public static int bucket(double ms) {
        if (ms <= 1) {
            return 0;
        }
        int i = (int) Math.ceil(Math.log(ms) / LOG_G);
        // ceil of a rounded logarithm: a value on a boundary may land one bucket off; correct it
        if (i > 1 && ms <= Math.pow(G, i - 1)) {
            i--;
        } else if (ms > Math.pow(G, i)) {
            i++;
        }
        return Math.max(1, Math.min(BUCKETS - 1, i));
    }

    /** The value a bucket stands for. */
    public static double value(int bucket) {
        return bucket == 0 ? 0.5 : 2 * Math.pow(G, bucket) / (G + 1);
    }

    /** The q-quantile (0..1) of the counts, nearest rank; null when there are none. */
    public static Double quantile(long[] counts, double q) {
        long total = 0;
        for (long c : counts) {
            total += c;
        }
        if (total == 0) {
            return null;
        }
        long rank = Math.max(1, (long) Math.ceil(q * total));
        long seen = 0;
        for (int i = 0; i < counts.length; i++) {
            seen += counts[i];
            if (seen >= rank) {
                return value(i);
            }
        }
        return value(counts.length - 1);
    }
}
