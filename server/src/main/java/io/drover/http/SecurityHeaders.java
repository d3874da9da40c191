package io.drover.http;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Runs before every route: hides method-override headers, and sets the headers every answer
 * carries (errors included, since they are set before anything is written).
 *
 * <ul>
 *   <li>{@code X-HTTP-Method-Override}, {@code X-HTTP-Method} and {@code X-Method-Override} are
 *       removed from the request: Javalin's {@code ctx.method()} honoured the first, so a GET
 *       carrying it deleted a job (a link or an image in a page could do that with a session).
 *   <li>{@code X-Content-Type-Options: nosniff} and a Content-Security-Policy with
 *       {@code frame-ancestors 'none'} on every answer: {@code default-src 'none'} for the API,
 *       which serves no page, and a same-origin policy for the dashboard under {@code /ui/}.
 *   <li>{@code Cache-Control: no-store} on every {@code /v1} answer: they are authenticated, or
 *       carry a secret (a new API key, a signing secret, a session's CSRF token).
 * </ul>
 */
final class SecurityHeaders implements Filter {
    static final Set<String> OVERRIDES = Set.of("x-http-method-override", "x-http-method", "x-method-override");
    static final String API_CSP = "default-src 'none'; frame-ancestors 'none'";
    static final String UI_CSP = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; "
            + "object-src 'none'";

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        HttpServletRequest req = (HttpServletRequest) request;
        HttpServletResponse res = (HttpServletResponse) response;
        String path = req.getRequestURI();
        res.setHeader("X-Content-Type-Options", "nosniff");
        res.setHeader("Content-Security-Policy", path.equals("/ui") || path.startsWith("/ui/") ? UI_CSP : API_CSP);
        if (path.startsWith("/v1/")) {
            res.setHeader("Cache-Control", "no-store");
        }
        chain.doFilter(hasOverride(req) ? new WithoutOverrides(req) : req, response);
    }

    private static boolean hasOverride(HttpServletRequest req) {
        return req.getHeader("X-HTTP-Method-Override") != null || req.getHeader("X-HTTP-Method") != null
                || req.getHeader("X-Method-Override") != null;
    }

    /** The request as if the method-override headers had not been sent. */
    private static final class WithoutOverrides extends HttpServletRequestWrapper {
        WithoutOverrides(HttpServletRequest req) {
            super(req);
        }

        private static boolean hidden(String name) {
            return name != null && OVERRIDES.contains(name.toLowerCase(Locale.ROOT));
        }

        @Override
        public String getHeader(String name) {
            return hidden(name) ? null : super.getHeader(name);
        }

        @Override
        public Enumeration<String> getHeaders(String name) {
            return hidden(name) ? Collections.emptyEnumeration() : super.getHeaders(name);
        }

        @Override
        public Enumeration<String> getHeaderNames() {
            List<String> names = Collections.list(super.getHeaderNames());
            names.removeIf(WithoutOverrides::hidden);
            return Collections.enumeration(names);
        }

        @Override
        public long getDateHeader(String name) {
            return hidden(name) ? -1 : super.getDateHeader(name);
        }

        @Override
        public int getIntHeader(String name) {
            return hidden(name) ? -1 : super.getIntHeader(name);
        }
    }
}
