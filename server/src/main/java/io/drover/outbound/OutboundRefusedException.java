package io.drover.outbound;

import java.io.IOException;

/**
 * A send was refused because its destination is not public and not allowed by
 * {@code DROVER_OUTBOUND_ALLOW}. Nothing was sent. {@link #fromDns()} says whether the refusal
 * came from a name's DNS answer (which may change, so trying again later can succeed) rather
 * than from the URL itself (a literal address or a known internal name: only a change of the
 * job or of the setting helps).
 */
public final class OutboundRefusedException extends IOException {
    private final boolean fromDns;

    public OutboundRefusedException(String message, boolean fromDns) {
        super(message);
        this.fromDns = fromDns;
    }

    public boolean fromDns() {
        return fromDns;
    }
}
