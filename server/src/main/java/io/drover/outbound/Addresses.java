package io.drover.outbound;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;

/**
 * Which addresses are not public, and why. Everything below is refused by default; an address
 * outside all of these ranges is public. IPv6 forms that carry an IPv4 address (mapped,
 * compatible, NAT64, 6to4) are judged by the IPv4 address they carry, since that is where the
 * packets may end up.
 */
final class Addresses {
    private Addresses() {}

    private record Range(Cidr cidr, String kind) {}

    private static Range range(String cidr, String kind) {
        return new Range(Cidr.parse(cidr), kind);
    }

    private static final List<Range> V4 = List.of(
            range("255.255.255.255/32", "broadcast"),
            range("0.0.0.0/8", "unspecified"),
            range("10.0.0.0/8", "private"),
            range("100.64.0.0/10", "shared, carrier-grade NAT"),
            range("127.0.0.0/8", "loopback"),
            range("169.254.0.0/16", "link-local"),
            range("172.16.0.0/12", "private"),
            range("192.0.0.0/24", "reserved"),
            range("192.0.2.0/24", "documentation"),
            range("192.88.99.0/24", "reserved"),
            range("192.168.0.0/16", "private"),
            range("198.18.0.0/15", "reserved"),
            range("198.51.100.0/24", "documentation"),
            range("203.0.113.0/24", "documentation"),
            range("224.0.0.0/4", "multicast"),
            range("240.0.0.0/4", "reserved"));

    private static final List<Range> V6 = List.of(
            range("::/128", "unspecified"),
            range("::1/128", "loopback"),
            range("64:ff9b:1::/48", "reserved"),
            range("100::/64", "reserved"),
            range("2001::/23", "reserved"),   // IETF protocol assignments, Teredo among them
            range("2001:db8::/32", "documentation"),
            range("fc00::/7", "private, unique local"),
            range("fe80::/10", "link-local"),
            range("fec0::/10", "site-local"),
            range("ff00::/8", "multicast"));

    private static final Cidr COMPATIBLE = Cidr.parse("::/96");
    private static final Cidr NAT64 = Cidr.parse("64:ff9b::/96");
    private static final Cidr SIX_TO_FOUR = Cidr.parse("2002::/16");

    /** Why {@code address} is not public ("loopback", "private", ...), or null when it is public. */
    static String refusal(InetAddress address) {
        InetAddress a = canonical(address);
        for (Range r : a instanceof Inet4Address ? V4 : V6) {
            if (r.cidr().contains(a)) {
                return r.kind();
            }
        }
        InetAddress carried = carriedV4(a);
        if (carried != null) {
            String kind = refusal(carried);
            return kind == null ? null : kind + ", carrying " + carried.getHostAddress();
        }
        return null;
    }

    /** The address as text, IPv6 in its short form ({@code fd00:ec2::254}). */
    static String text(InetAddress address) {
        InetAddress a = canonical(address);
        if (a instanceof Inet4Address) {
            return a.getHostAddress();
        }
        byte[] b = a.getAddress();
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLength = 1; // a single zero group is not shortened (RFC 5952)
        for (int i = 0; i < 8; ) {
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                out.append(i == 0 ? "::" : ":");
                i += bestLength - 1;
                continue;
            }
            out.append(Integer.toHexString(groups[i]));
            if (i < 7) {
                out.append(':');
            }
        }
        return out.toString();
    }

    /**
     * The address without a scope id, and an IPv4-mapped IPv6 address ({@code ::ffff:a.b.c.d}) as
     * the IPv4 address it is.
     */
    static InetAddress canonical(InetAddress a) {
        byte[] b = a.getAddress();
        try {
            if (b.length == 16 && isMapped(b)) {
                return InetAddress.getByAddress(Arrays.copyOfRange(b, 12, 16));
            }
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean isMapped(byte[] b) {
        for (int i = 0; i < 10; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff;
    }

    /** The IPv4 address an IPv6 address carries by a translation or tunnelling scheme, or null. */
    private static InetAddress carriedV4(InetAddress a) {
        byte[] b = a.getAddress();
        if (b.length != 16) {
            return null;
        }
        try {
            if (COMPATIBLE.contains(a) || NAT64.contains(a)) {
                return InetAddress.getByAddress(Arrays.copyOfRange(b, 12, 16));
            }
            if (SIX_TO_FOUR.contains(a)) {
                return InetAddress.getByAddress(Arrays.copyOfRange(b, 2, 6));
            }
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
        return null;
    }
}
