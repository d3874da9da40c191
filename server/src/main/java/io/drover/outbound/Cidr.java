package io.drover.outbound;

import java.net.InetAddress;

/** An address range, IPv4 or IPv6, as {@code address/prefix} ({@code 10.0.0.0/8}, {@code fc00::/7}). */
record Cidr(byte[] network, int prefix) {

    /**
     * Parses {@code a.b.c.d/n}, {@code v6/n} or a bare address (a single host). Only plain dotted
     * decimal and standard IPv6 text are accepted here: this is an operator's setting, and an
     * ambiguous spelling in it is a mistake to report, not a form to guess.
     */
    static Cidr parse(String text) {
        String s = text.strip();
        int slash = s.indexOf('/');
        String addr = slash < 0 ? s : s.substring(0, slash);
        InetAddress a = HostLiteral.strict(addr);
        if (a == null) {
            throw new IllegalArgumentException("'" + text + "' is not an address or CIDR");
        }
        byte[] bytes = Addresses.canonical(a).getAddress();
        int max = bytes.length * 8;
        int prefix = max;
        if (slash >= 0) {
            String p = s.substring(slash + 1);
            if (!p.matches("[0-9]{1,3}") || Integer.parseInt(p) > max) {
                throw new IllegalArgumentException("'" + text + "' has a prefix length outside 0.." + max);
            }
            prefix = Integer.parseInt(p);
        }
        return new Cidr(mask(bytes, prefix), prefix);
    }

    boolean contains(InetAddress address) {
        byte[] b = Addresses.canonical(address).getAddress();
        return b.length == network.length && java.util.Arrays.equals(mask(b, prefix), network);
    }

    private static byte[] mask(byte[] bytes, int prefix) {
        byte[] out = bytes.clone();
        for (int i = 0; i < out.length; i++) {
            int bits = Math.max(0, Math.min(8, prefix - i * 8));
            out[i] &= (byte) (0xff << (8 - bits));
        }
        return out;
    }

    @Override
    public String toString() {
        try {
            return Addresses.text(InetAddress.getByAddress(network)) + "/" + prefix;
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cidr c && c.prefix == prefix && java.util.Arrays.equals(c.network, network);
    }

    @Override
    public int hashCode() {
        return java.util.Arrays.hashCode(network) * 31 + prefix;
    }
}
