package io.drover.outbound;

import io.drover.http.ApiError;
import java.io.IOException;
import java.net.IDN;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import org.eclipse.jetty.util.SocketAddressResolver;

/**
 * Keeps outbound requests (HTTP push, webhooks, log drains) away from addresses that are not
 * public (loopback, private, link-local and cloud metadata, unspecified, ...) unless
 * {@code DROVER_OUTBOUND_ALLOW} lists them. It checks twice:
 *
 * <ul>
 *   <li>when a URL is saved ({@link #checkUrl}): a literal address in any spelling, or a known
 *       internal name, is refused at once (422);
 *   <li>when a request is sent ({@link #resolve}, or {@link #socketAddressResolver} for Jetty's
 *       client): the name is looked up once, every address it resolves to is checked, and the
 *       connection goes to exactly those addresses, so a second lookup cannot rebind the name.
 * </ul>
 */
public final class OutboundGuard {
    /** Looks a host name up; replaceable in tests, where DNS answers must be made to order. */
    public interface Resolver {
        List<InetAddress> lookup(String name) throws UnknownHostException;
    }

    /** Names that always mean "inside": loopback names and the cloud metadata services. */
    private static final Set<String> INTERNAL_NAMES = Set.of("localhost", "metadata.goog", "metadata.google.internal",
            "ip6-localhost", "ip6-loopback");
    /** Special-use and private-use domains (RFC 6761, 6762, 8375, and ICANN's .internal). */
    private static final List<String> INTERNAL_SUFFIXES = List.of(".localhost", ".local", ".localdomain",
            ".internal", ".home.arpa");
    private static final Pattern NAME = Pattern.compile("[a-z0-9_-]+(\\.[a-z0-9_-]+)*");

    private final List<Cidr> cidrs;
    private final Set<String> names;
    private final List<String> suffixes;
    private volatile Resolver resolver = name -> List.of(InetAddress.getAllByName(name));

    private OutboundGuard(List<Cidr> cidrs, Set<String> names, List<String> suffixes) {
        this.cidrs = List.copyOf(cidrs);
        this.names = Set.copyOf(names);
        this.suffixes = List.copyOf(suffixes);
    }

    /** The default: nothing but public addresses. */
    public static OutboundGuard publicOnly() {
        return new OutboundGuard(List.of(), Set.of(), List.of());
    }

    /**
     * Parses {@code DROVER_OUTBOUND_ALLOW}: comma-separated CIDRs ({@code 10.1.0.0/16},
     * {@code fd00::/8}), single addresses, host names ({@code hooks.corp}) and name suffixes
     * ({@code *.corp}). Null or blank allows nothing.
     *
     * @throws IllegalArgumentException naming the entry that is none of these
     */
    public static OutboundGuard parse(String allow) {
        List<Cidr> cidrs = new ArrayList<>();
        List<String> names = new ArrayList<>();
        List<String> suffixes = new ArrayList<>();
        if (allow != null) {
            for (String raw : allow.split(",")) {
                String entry = raw.strip();
                if (entry.isEmpty()) {
                    continue;
                }
                if (entry.contains("/") || entry.contains(":") || HostLiteral.strict(entry) != null) {
                    cidrs.add(Cidr.parse(entry));
                    continue;
                }
                String name = entry.toLowerCase(Locale.ROOT);
                name = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
                boolean wildcard = name.startsWith("*.");
                String bare = wildcard ? name.substring(2) : name;
                if (!NAME.matcher(bare).matches() || literalOrInvalid(bare)) {
                    throw new IllegalArgumentException("'" + entry + "' is neither a CIDR (10.0.0.0/8, fd00::/8), "
                            + "an address in dotted decimal or IPv6 form, a host name nor *.suffix");
                }
                (wildcard ? suffixes : names).add(bare);
            }
        }
        return new OutboundGuard(cidrs, java.util.Set.copyOf(names), suffixes);
    }

    private static boolean literalOrInvalid(String name) {
        try {
            return HostLiteral.parse(name) != null;
        } catch (IllegalArgumentException e) {
            return true;
        }
    }

    /** Replaces the DNS lookup (tests). */
    public void resolveWith(Resolver resolver) {
        this.resolver = resolver;
    }

    /** 422 naming {@code field} when {@code url} may not be called; see {@link #refusal}. */
    public void checkUrl(String field, String url) {
        String why = refusal(url);
        if (why != null) {
            throw ApiError.invalid(field, why);
        }
    }

    /**
     * Why {@code url} may not be called, as far as the URL alone tells (its scheme, a literal
     * address, a known internal name), or null. A name that merely resolves to a refused address
     * is refused at send time, since DNS answers change.
     */
    public String refusal(String url) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            return "is not a valid URL: " + e.getReason();
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            return "must be an absolute http:// or https:// URL";
        }
        String host = hostOf(uri);
        if (host == null || host.isEmpty()) {
            return "must be an absolute http:// or https:// URL with a host";
        }
        try {
            Host h = Host.of(host);
            String why = h.address() != null ? addressRefusal(h.address()) : nameRefusal(h.name());
            if (why != null && h.address() != null && !host.equals(Addresses.text(h.address()))
                    && !host.equals("[" + Addresses.text(h.address()) + "]")) {
                why = host + " is " + why; // say what an unusual spelling stands for
            }
            return why == null ? null : "may not be called: " + why + " (DROVER_OUTBOUND_ALLOW lists the exceptions)";
        } catch (IllegalArgumentException e) {
            return "has a host that cannot be used: " + e.getMessage();
        }
    }

    /**
     * The addresses a request to {@code host} may connect to: the literal address itself, or the
     * name's DNS answer when every address in it is allowed. Connect only to what this returns.
     *
     * @throws OutboundRefusedException when the host or any address it resolves to is refused
     * @throws UnknownHostException when the name does not resolve
     */
    public List<InetAddress> resolve(String host) throws IOException {
        Host h;
        try {
            h = Host.of(host);
        } catch (IllegalArgumentException e) {
            throw new OutboundRefusedException("host " + host + " cannot be used: " + e.getMessage(), false);
        }
        if (h.address() != null) {
            String why = addressRefusal(h.address());
            if (why != null) {
                throw new OutboundRefusedException("refused destination: " + why, false);
            }
            return List.of(h.address());
        }
        String why = nameRefusal(h.name());
        if (why != null) {
            throw new OutboundRefusedException("refused destination: " + why, false);
        }
        List<InetAddress> found = resolver.lookup(h.name());
        if (found.isEmpty()) {
            throw new UnknownHostException(h.name());
        }
        if (!allowedName(h.name())) {
            // One refused address refuses the name: a mix of public and internal answers is either
            // a mistake or a rebinding attempt, and a push that works only on some lookups is worse
            // than one that plainly fails.
            for (InetAddress a : found) {
                String kind = addressRefusal(a);
                if (kind != null) {
                    throw new OutboundRefusedException("refused destination: " + h.name() + " resolves to " + kind,
                            true);
                }
            }
        }
        return found;
    }

    /**
     * A resolver for Jetty's HTTP client that hands it only the addresses {@link #resolve}
     * checked; Jetty connects to them and keeps the host name for the Host header, SNI and
     * certificate checks. Lookups run on virtual threads, off Jetty's own threads.
     */
    public SocketAddressResolver socketAddressResolver() {
        return (host, port, context, promise) -> Thread.ofVirtual().name("outbound-resolve").start(() -> {
            try {
                promise.succeeded(resolve(host).stream().map(a -> new InetSocketAddress(a, port)).toList());
            } catch (Throwable e) {
                promise.failed(e);
            }
        });
    }

    /** What the allow list holds, for the start-up log. */
    @Override
    public String toString() {
        List<String> all = new ArrayList<>();
        cidrs.forEach(c -> all.add(c.toString()));
        all.addAll(names);
        suffixes.forEach(s -> all.add("*." + s));
        return all.isEmpty() ? "public addresses only" : "public addresses and " + String.join(", ", all);
    }

    private String addressRefusal(InetAddress a) {
        for (Cidr c : cidrs) {
            if (c.contains(a)) {
                return null;
            }
        }
        String kind = Addresses.refusal(a);
        return kind == null ? null : Addresses.text(a) + " (" + kind + ")";
    }

    private String nameRefusal(String name) {
        if (allowedName(name)) {
            return null;
        }
        if (INTERNAL_NAMES.contains(name) || INTERNAL_SUFFIXES.stream().anyMatch(name::endsWith)) {
            return name + " is an internal name";
        }
        if (!name.contains(".")) {
            return name + " is a single-label name (resolved through local search domains)";
        }
        return null;
    }

    private boolean allowedName(String name) {
        return names.contains(name) || suffixes.stream().anyMatch(s -> name.endsWith("." + s));
    }

    private static String hostOf(URI uri) {
        if (uri.getHost() != null) {
            return uri.getHost();
        }
        // Hosts the URI grammar does not take as server names (127.1, %-escapes, non-ASCII) are
        // still sent by lenient clients: judge them too, rather than let them through unchecked.
        String authority = uri.getRawAuthority();
        if (authority == null) {
            return null;
        }
        String hostPort = authority.substring(authority.lastIndexOf('@') + 1);
        if (hostPort.startsWith("[")) {
            int end = hostPort.indexOf(']');
            return end < 0 ? hostPort : hostPort.substring(0, end + 1);
        }
        int colon = hostPort.lastIndexOf(':');
        return colon < 0 ? hostPort : hostPort.substring(0, colon);
    }

    /** A URL's host: an address (in any spelling) or a normalized name (lower case, ASCII, no final dot). */
    private record Host(String name, InetAddress address) {
        static Host of(String raw) {
            String h = raw;
            if (h.contains("%") && !h.startsWith("[")) {
                throw new IllegalArgumentException("percent-escapes are not allowed in a host");
            }
            if (!h.chars().allMatch(c -> c < 0x80)) {
                h = IDN.toASCII(h, IDN.ALLOW_UNASSIGNED); // also maps full-width digits and dots
            }
            h = h.toLowerCase(Locale.ROOT);
            InetAddress a = HostLiteral.parse(h);
            if (a != null) {
                return new Host(null, a);
            }
            String name = h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
            if (!NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("'" + raw + "' is not a valid host name");
            }
            return new Host(name, null);
        }
    }
}
