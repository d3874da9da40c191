package io.drover.identity;

import com.nulabinc.zxcvbn.Strength;
import com.nulabinc.zxcvbn.Zxcvbn;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * argon2id password hashes in the PHC string format
 * ({@code $argon2id$v=19$m=19456,t=2,p=1$salt$hash}), and the minimum-strength rule: at least 10
 * characters and a zxcvbn score of 3 or more (not a common word, pattern or the user's email).
 * Verification reads the parameters from the stored string, so costs can rise without rehashing.
 */
public final class Passwords {
    public static final int MIN_LENGTH = 10;
    public static final int MAX_LENGTH = 256;
    private static final Base64.Encoder B64 = Base64.getEncoder().withoutPadding();
    private static final Base64.Decoder B64D = Base64.getDecoder();

    private final int memoryKib;
    private final int iterations;
    private final SecureRandom random = new SecureRandom();
    /**
     * One estimator per JVM: its dictionaries are tens of MB of ranked words, immutable once loaded,
     * and every Passwords (identity's, the dashboard's, each server in a test JVM) shares them.
     */
    private static final class Estimator {
        static final Zxcvbn ZXCVBN = new Zxcvbn();
    }
    private final String dummy;

    /** OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane. */
    public Passwords() {
        this(19_456, 2);
    }

    public Passwords(int memoryKib, int iterations) {
        this.memoryKib = memoryKib;
        this.iterations = iterations;
        this.dummy = hash("not a real password, only here to spend the same time");
    }

    public String hash(String password) {
        byte[] salt = new byte[16];
        random.nextBytes(salt);
        byte[] out = derive(password, salt, memoryKib, iterations, 1, 32);
        return "$argon2id$v=19$m=" + memoryKib + ",t=" + iterations + ",p=1$" + B64.encodeToString(salt) + "$"
                + B64.encodeToString(out);
    }

    public boolean verify(String password, String phc) {
        if (password == null || phc == null) {
            return false;
        }
        String[] parts = phc.split("\\$");
        // "", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash
        if (parts.length != 6 || !parts[1].equals("argon2id") || !parts[2].equals("v=19")) {
            return false;
        }
        try {
            int m = 0;
            int t = 0;
            int p = 0;
            for (String kv : parts[3].split(",")) {
                String[] pair = kv.split("=", 2);
                int v = Integer.parseInt(pair[1]);
                switch (pair[0]) {
                    case "m" -> m = v;
                    case "t" -> t = v;
                    case "p" -> p = v;
                    default -> {
                        return false;
                    }
                }
            }
            byte[] salt = B64D.decode(parts[4]);
            byte[] expected = B64D.decode(parts[5]);
            byte[] actual = derive(password, salt, m, t, p, expected.length);
            return MessageDigest.isEqual(expected, actual);
        } catch (IllegalArgumentException | ArrayIndexOutOfBoundsException e) {
            return false;
        }
    }

    /** Spends the time of one verification, so that an unknown email answers as slowly as a known one. */
    public void verifyDummy(String password) {
        verify(password, dummy);
    }

    /** Refuses a weak password with a 422 that says why (field {@code password}). */
    public void requireStrong(String password, String email) {
        if (password == null || password.isEmpty()) {
            throw new io.drover.errors.Invalid("password", "is required");
        }
        if (password.length() < MIN_LENGTH || password.length() > MAX_LENGTH) {
            throw new io.drover.errors.Invalid("weak_password", "password must be " + MIN_LENGTH + " to " + MAX_LENGTH
                    + " characters", Map.of("field", "password", "min_length", MIN_LENGTH));
        }
        Strength s = Estimator.ZXCVBN.measure(password, email == null ? List.of() : List.of(email, email.split("@")[0]));
        if (s.getScore() < 3) {
            String hint = s.getFeedback().getWarning();
            throw new io.drover.errors.Invalid("weak_password", "password is too easy to guess"
                    + (hint == null || hint.isEmpty() ? "" : ": " + hint),
                    Map.of("field", "password", "score", s.getScore(), "min_score", 3));
        }
    }

    private static byte[] derive(String password, byte[] salt, int m, int t, int p, int len) {
        if (m < 8 || m > 1 << 22 || t < 1 || t > 100 || p < 1 || p > 16 || len < 16 || len > 64) {
            throw new IllegalArgumentException("argon2 parameters out of range");
        }
        Argon2BytesGenerator gen = new Argon2BytesGenerator();
        gen.init(new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
                .withVersion(Argon2Parameters.ARGON2_VERSION_13)
                .withMemoryAsKB(m)
                .withIterations(t)
                .withParallelism(p)
                .withSalt(salt)
                .build());
        byte[] out = new byte[len];
        gen.generateBytes(password.getBytes(StandardCharsets.UTF_8), out);
        return out;
    }
}
