package io.drover.client;

import java.util.concurrent.Callable;

/**
 * Runs a handler inside its run's trace, with what is on the class path and nothing else: the SDK
 * has no hard dependency on SLF4J or OpenTelemetry. With SLF4J, the run's {@code traceparent},
 * {@code drover.run_id} and {@code drover.job} are in the MDC while the handler runs. With the
 * OpenTelemetry API (and an SDK installed as the global one), the handler runs in a span
 * {@code drover.run <job>} whose parent is the run's traceparent. Each is looked for once; the
 * classes that name them are loaded only when they are present.
 */
final class Tracing {
    private static final boolean MDC = present("org.slf4j.MDC");
    private static final boolean OTEL = present("io.opentelemetry.api.GlobalOpenTelemetry");

    private Tracing() {}

    private static boolean present(String name) {
        try {
            Class.forName(name, false, Tracing.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    static <T> T around(RunContext ctx, Callable<T> handler) throws Exception {
        if (!MDC && (!OTEL || ctx.traceparent() == null)) {
            return handler.call();
        }
        if (MDC) {
            Mdc.put(ctx);
        }
        try {
            return OTEL && ctx.traceparent() != null ? OtelSpan.around(ctx, handler) : handler.call();
        } finally {
            if (MDC) {
                Mdc.clear();
            }
        }
    }

    /** Loaded only when SLF4J is present. */
    private static final class Mdc {
        static void put(RunContext ctx) {
            if (ctx.traceparent() != null) {
                org.slf4j.MDC.put("traceparent", ctx.traceparent());
            }
            org.slf4j.MDC.put("drover.run_id", ctx.runId());
            org.slf4j.MDC.put("drover.job", ctx.jobSlug());
        }

        static void clear() {
            org.slf4j.MDC.remove("traceparent");
            org.slf4j.MDC.remove("drover.run_id");
            org.slf4j.MDC.remove("drover.job");
        }
    }

    /** Loaded only when the OpenTelemetry API is present. */
    private static final class OtelSpan {
        private static final io.opentelemetry.context.propagation.TextMapGetter<String> GETTER =
                new io.opentelemetry.context.propagation.TextMapGetter<>() {
                    @Override
                    public Iterable<String> keys(String carrier) {
                        return java.util.List.of("traceparent");
                    }

                    @Override
                    public String get(String carrier, String key) {
                        return "traceparent".equals(key) ? carrier : null;
                    }
                };

        static <T> T around(RunContext ctx, Callable<T> handler) throws Exception {
            var otel = io.opentelemetry.api.GlobalOpenTelemetry.get();
            io.opentelemetry.context.Context parent = io.opentelemetry.api.trace.propagation
                    .W3CTraceContextPropagator.getInstance()
                    .extract(io.opentelemetry.context.Context.root(), ctx.traceparent(), GETTER);
            io.opentelemetry.api.trace.Span span = otel.getTracer("io.drover.client")
                    .spanBuilder("drover.run " + ctx.jobSlug()).setParent(parent)
                    .setSpanKind(io.opentelemetry.api.trace.SpanKind.CONSUMER)
                    .setAttribute("drover.run_id", ctx.runId()).setAttribute("drover.job", ctx.jobSlug())
                    .setAttribute("drover.attempt", ctx.attempt()).startSpan();
            try (io.opentelemetry.context.Scope ignored = span.makeCurrent()) {
                return handler.call();
            } catch (Exception | Error e) {
                span.recordException(e);
                span.setStatus(io.opentelemetry.api.trace.StatusCode.ERROR);
                throw e;
            } finally {
                span.end();
            }
        }
    }
}
