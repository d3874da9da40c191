package io.drover.webhooks;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Standard Webhooks secrets and signatures: a secret is {@code whsec_} + base64 of 24 random
 * bytes; a signature is {@code v1,} + base64 of HMAC-SHA256 of {@code "<id>.<timestamp>.<body>"}
 * under the base64-decoded secret.
 */
public final class Signatures {
    public static final String PREFIX = "whsec_";
    private static final SecureRandom RANDOM = new SecureRandom();

    private Signatures() {}

    public static String newSecret() {
        byte[] key = new byte[24];
        RANDOM.nextBytes(key);
        return PREFIX + Base64.getEncoder().encodeToString(key);
    }

    /** {@code v1,<base64 signature>} of one message under one secret. */
    public static String sign(String secret, String msgId, long timestamp, byte[] body) {
        byte[] key = Base64.getDecoder().decode(secret.startsWith(PREFIX) ? secret.substring(PREFIX.length()) : secret);
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            mac.update((msgId + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8));
            return "v1," + Base64.getEncoder().encodeToString(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The {@code webhook-signature} header: one signature per secret, space-separated (rotation: new first). */
    public static String header(String msgId, long timestamp, byte[] body, String... secrets) {
        StringBuilder out = new StringBuilder();
        for (String s : secrets) {
            if (s == null) {
                continue;
            }
            if (!out.isEmpty()) {
                out.append(' ');
            }
            out.append(sign(s, msgId, timestamp, body));
        }
        return out.toString();
    }
}
