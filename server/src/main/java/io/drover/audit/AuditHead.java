package io.drover.audit;

import java.util.UUID;

/**
 * The signed anchor of one project's audit chain (a row of {@code audit_heads}): where the chain
 * starts ({@code firstSeq}, and the {@code prev_row_hmac} its oldest kept row carries) and where it
 * ends ({@code lastSeq} and that row's HMAC). An empty chain has {@code lastSeq = firstSeq - 1}.
 */
public record AuditHead(UUID chain, long firstSeq, String firstPrev, long lastSeq, String lastHmac,
        String signature) {

    /** The text the signature covers. */
    String canonical() {
        return "drover audit head v1\n" + chain + "\n" + firstSeq + "\n" + nullToEmpty(firstPrev) + "\n" + lastSeq
                + "\n" + nullToEmpty(lastHmac);
    }

    /** The same anchor after one more row. */
    AuditHead next(long seq, String hmac) {
        return new AuditHead(chain, firstSeq, firstPrev, seq, hmac, null);
    }

    AuditHead withSignature(String s) {
        return new AuditHead(chain, firstSeq, firstPrev, lastSeq, lastHmac, s);
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }
}
