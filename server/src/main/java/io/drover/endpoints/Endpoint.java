package io.drover.endpoints;

import java.net.URI;
import java.util.Locale;

/** An outbound endpoint as the breaker knows it: {@code scheme://host:port}, the default port filled in. */
public final class Endpoint {
    private Endpoint() {}

    /** The endpoint of a URL, or null when the URL has no usable scheme and host. */
    public static String of(String url) {
        if (url == null) {
            return null;
        }
        try {
            URI u = URI.create(url.strip());
            String scheme = u.getScheme();
            String host = u.getHost();
            if (scheme == null || host == null) {
                return null;
            }
            scheme = scheme.toLowerCase(Locale.ROOT);
            int port = u.getPort();
            if (port < 0) {
                port = scheme.equals("https") ? 443 : scheme.equals("http") ? 80 : -1;
            }
            if (port < 0) {
                return null;
            }
            return scheme + "://" + host.toLowerCase(Locale.ROOT) + ":" + port;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
