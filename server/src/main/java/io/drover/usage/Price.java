package io.drover.usage;

import java.math.BigInteger;
import java.time.Instant;

/**
 * Prices of one model in micro-USD per million tokens, from {@code effectiveFrom} on; {@code source}
 * says where the price came from ({@code catalog:2026-12} or {@code project}).
 */
public record Price(String provider, String model, long inputPerMtok, long outputPerMtok, long cachedInputPerMtok,
        Instant effectiveFrom, String source) {

    private static final BigInteger MILLION = BigInteger.valueOf(1_000_000);
    private static final BigInteger HALF_MILLION = BigInteger.valueOf(500_000);

    /**
     * The cost in micro-USD, rounded half up once over the whole record (not per kind of token), in
     * exact arithmetic: tokens times prices can pass a long before the division.
     */
    public long cost(long input, long output, long cachedInput) {
        BigInteger sum = BigInteger.valueOf(input).multiply(BigInteger.valueOf(inputPerMtok))
                .add(BigInteger.valueOf(output).multiply(BigInteger.valueOf(outputPerMtok)))
                .add(BigInteger.valueOf(cachedInput).multiply(BigInteger.valueOf(cachedInputPerMtok)));
        BigInteger cost = sum.add(HALF_MILLION).divide(MILLION);
        return cost.bitLength() < 63 ? cost.longValue() : Long.MAX_VALUE;
    }
}
