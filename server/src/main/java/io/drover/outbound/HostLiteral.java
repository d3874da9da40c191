package io.drover.outbound;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * IP address literals in a URL's host, in every spelling a resolver accepts. The C library reads
 * {@code 2130706433}, {@code 0x7f000001}, {@code 0177.0.0.1} and {@code 127.1} as 127.0.0.1
 * ({@code inet_aton}); so do browsers and many HTTP clients. A host is judged by the address
 * the most permissive of them would connect to.
 */
final class HostLiteral {
    private HostLiteral() {}

    private static final Pattern DECIMAL_OCTET = Pattern.compile("0|[1-9][0-9]{0,2}");
    private static final Pattern NUMBER = Pattern.compile("0[xX][0-9a-fA-F]*|[0-9]+");
    private static final Pattern V6 = Pattern.compile("[0-9a-fA-F:.]+");

    /**
     * The address that {@code host} spells (brackets around IPv6 allowed, one trailing dot
     * allowed), null when it is a name.
     *
     * @throws IllegalArgumentException when it looks like an address but is not a valid one (a
     *     numeric last label, an IPv6 zone id): no resolver should be left to guess what it means
     */
    static InetAddress parse(String host) {
        String h = host;
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
            if (h.contains("%")) {
                throw new IllegalArgumentException("IPv6 zone ids are not allowed");
            }
            InetAddress a = v6(h);
            if (a == null) {
                throw new IllegalArgumentException("'" + host + "' is not a valid IPv6 address");
            }
            return a;
        }
        if (h.contains(":") || h.contains("%")) {
            InetAddress a = h.contains("%") ? null : v6(h);
            if (a == null) {
                throw new IllegalArgumentException("'" + host + "' is not a valid host");
            }
            return a;
        }
        if (h.endsWith(".")) {
            h = h.substring(0, h.length() - 1);
        }
        String[] parts = h.split("\\.", -1);
        if (!NUMBER.matcher(parts[parts.length - 1]).matches()) {
            return null; // a name: its last label is not a number
        }
        InetAddress a = inetAton(parts);
        if (a == null) {
            throw new IllegalArgumentException("'" + host + "' is neither a host name nor a valid IPv4 address");
        }
        return a;
    }

    /** Only plain dotted decimal IPv4 and IPv6 text (no zone id), for settings; null otherwise. */
    static InetAddress strict(String text) {
        if (text.contains(":")) {
            return text.contains("%") ? null : v6(text);
        }
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            return null;
        }
        for (String p : parts) {
            if (!DECIMAL_OCTET.matcher(p).matches() || Integer.parseInt(p) > 255) {
                return null;
            }
        }
        return inetAton(parts);
    }

    /** {@code inet_aton}: 1 to 4 parts, each decimal, octal (leading 0) or hex (0x); the last fills the rest. */
    private static InetAddress inetAton(String[] parts) {
        if (parts.length > 4) {
            return null;
        }
        long[] values = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i];
            if (!NUMBER.matcher(p).matches()) {
                return null;
            }
            try {
                if (p.length() > 1 && (p.charAt(1) == 'x' || p.charAt(1) == 'X')) {
                    values[i] = p.length() == 2 ? 0 : Long.parseLong(p.substring(2), 16);
                } else if (p.length() > 1 && p.charAt(0) == '0') {
                    values[i] = Long.parseLong(p.substring(1), 8);
                } else {
                    values[i] = Long.parseLong(p);
                }
            } catch (NumberFormatException e) {
                return null; // 8 or 9 in an octal part, or too long
            }
        }
        long value = 0;
        for (int i = 0; i < values.length - 1; i++) {
            if (values[i] > 255) {
                return null;
            }
            value |= values[i] << (8 * (3 - i));
        }
        long last = values[values.length - 1];
        if (last >= 1L << (8 * (4 - (values.length - 1)))) {
            return null;
        }
        value |= last;
        byte[] b = {(byte) (value >>> 24), (byte) (value >>> 16), (byte) (value >>> 8), (byte) value};
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** IPv6 text (the JDK parses a literal in brackets without any lookup); null when not valid. */
    private static InetAddress v6(String text) {
        if (!V6.matcher(text).matches() || !text.contains(":")) {
            return null;
        }
        try {
            return InetAddress.getByName("[" + text + "]");
        } catch (UnknownHostException e) {
            return null;
        }
    }
}
