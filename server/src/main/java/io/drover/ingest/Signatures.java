package io.drover.ingest;

import io.drover.crypto.Keys;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Verification of inbound deliveries. Every comparison is constant-time ({@link MessageDigest#isEqual}).
 *
 * <ul>
 *   <li>Standard Webhooks: {@code webhook-signature} holds space-separated {@code v1,<base64>}
 *       signatures, any of which may match the HMAC-SHA256 of {@code "<webhook-id>.<webhook-timestamp>.<body>"}
 *       under the base64-decoded part of the {@code whsec_} secret; {@code webhook-timestamp} (unix
 *       seconds) must be within {@link #TOLERANCE_SECS} of now, either way.
 *   <li>HMAC-SHA256: {@code X-Drover-Signature: sha256=<hex HMAC-SHA256 of the body under the secret's UTF-8 bytes>}.
 * </ul>
 */
final class Signatures {
    static final long TOLERANCE_SECS = 300;
    static final String HMAC_HEADER = "X-Drover-Signature";

    private Signatures() {}

    /** Null when the delivery is genuine, else why not (never naming the expected signature). */
    static String standardWebhooks(String secret, String id, String timestamp, String signatures, byte[] body,
            Instant now) {
        if (id == null || id.isEmpty() || timestamp == null || signatures == null) {
            return "missing webhook-id, webhook-timestamp or webhook-signature header";
        }
        long t;
        try {
            t = Long.parseLong(timestamp.strip());
        } catch (NumberFormatException e) {
            return "webhook-timestamp is not unix seconds";
        }
        if (Math.abs(now.getEpochSecond() - t) > TOLERANCE_SECS) {
            return "webhook-timestamp is more than " + TOLERANCE_SECS + " s away from the server's time";
        }
        byte[] key = Base64.getDecoder().decode(secret.substring(secret.indexOf('_') + 1));
        byte[] prefix = (id + "." + t + ".").getBytes(StandardCharsets.UTF_8);
        byte[] data = new byte[prefix.length + body.length];
        System.arraycopy(prefix, 0, data, 0, prefix.length);
        System.arraycopy(body, 0, data, prefix.length, body.length);
        byte[] expected = Base64.getEncoder().encode(Keys.hmac(key, data));
        boolean ok = false;
        for (String sig : signatures.strip().split(" +")) {
            int comma = sig.indexOf(',');
            if (comma < 0 || !sig.substring(0, comma).equals("v1")) {
                continue;
            }
            // no early exit: every listed signature is compared
            ok |= MessageDigest.isEqual(expected, sig.substring(comma + 1).getBytes(StandardCharsets.US_ASCII));
        }
        return ok ? null : "no v1 signature in webhook-signature matches";
    }

    static String hmacSha256(String secret, String header, byte[] body) {
        if (header == null) {
            return "missing " + HMAC_HEADER + " header";
        }
        String h = header.strip();
        if (!h.startsWith("sha256=")) {
            return HMAC_HEADER + " must be sha256=<hex>";
        }
        byte[] expected = HexFormat.of().formatHex(Keys.hmac(secret.getBytes(StandardCharsets.UTF_8), body))
                .getBytes(StandardCharsets.US_ASCII);
        byte[] given = h.substring("sha256=".length()).toLowerCase(java.util.Locale.ROOT)
                .getBytes(StandardCharsets.US_ASCII);
        return MessageDigest.isEqual(expected, given) ? null : "the " + HMAC_HEADER + " does not match";
    }
}
