package io.drover.http;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.UUID;
import java.util.regex.Pattern;
import org.slf4j.MDC;

/**
 * Every request has an id: the caller's {@code X-Request-Id} when it is a plain token (letters,
 * digits and {@code . _ : / + = -}, at most 128 characters), else a new UUID. It is returned as
 * {@code X-Request-Id} on every answer (errors included) and is the MDC's {@code request_id} while
 * the request runs, so every log line written for it carries it (the JSON log format shows the MDC).
 */
final class RequestIds implements Filter {
    static final String HEADER = "X-Request-Id";
    static final String MDC_KEY = "request_id";
    private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9._:/+=-]{1,128}");

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        String id = ((HttpServletRequest) request).getHeader(HEADER);
        if (id == null || !TOKEN.matcher(id).matches()) {
            id = UUID.randomUUID().toString();
        }
        ((HttpServletResponse) response).setHeader(HEADER, id);
        MDC.put(MDC_KEY, id);
        try {
            chain.doFilter(request, response);
        } finally {
            MDC.remove(MDC_KEY);
            MDC.remove(HttpApi.MDC_RUN);
            MDC.remove(HttpApi.MDC_JOB);
        }
    }
}
