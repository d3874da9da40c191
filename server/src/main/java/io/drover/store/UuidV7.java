package io.drover.store;

import java.security.SecureRandom;
import java.util.UUID;

/**
 * UUIDv7 ids (RFC 9562): 48 bits of Unix milliseconds, then random bits. Ids made by one process
 * are strictly increasing: within one millisecond the 12-bit counter field increases.
 */
public final class UuidV7 {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static long lastMillis;
    private static int counter;

    private UuidV7() {}

    public static synchronized UUID next() {
        return new UUID(nextMsb(), lsb(RANDOM.nextLong()));
    }

    /**
     * Fills {@code ids} with new ids, in increasing order, as {@link #next} one by one would; the
     * random bits of all of them come from one SecureRandom call (one call per id was a visible
     * cost of 1,000-run batch triggers).
     */
    public static void fill(UUID[] ids) {
        byte[] random = new byte[ids.length * 8];
        RANDOM.nextBytes(random);
        java.nio.ByteBuffer bits = java.nio.ByteBuffer.wrap(random);
        synchronized (UuidV7.class) {
            for (int i = 0; i < ids.length; i++) {
                ids[i] = new UUID(nextMsb(), lsb(bits.getLong()));
            }
        }
    }

    private static long nextMsb() {
        long now = System.currentTimeMillis();
        if (now > lastMillis) {
            lastMillis = now;
            counter = RANDOM.nextInt(1 << 11); // random start leaves room to count up
        } else if (++counter >= (1 << 12)) {
            lastMillis++; // counter exhausted: borrow the next millisecond
            counter = 0;
        }
        return (lastMillis << 16) | (0x7L << 12) | counter;
    }

    private static long lsb(long random) {
        return (random & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
    }
}
