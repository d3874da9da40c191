package io.drover.telemetry;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * The server's spans (issue 17, item 7): {@code drover.trigger}, {@code drover.claim},
 * {@code drover.push} and {@code drover.complete}, each a child of the W3C {@code traceparent} the
 * run was triggered with (runs without one get no spans). Off unless {@code
 * OTEL_EXPORTER_OTLP_ENDPOINT} is set ({@link OtlpTracing}); off, {@link #on()} is one volatile
 * read and nothing else happens: no SDK is initialised and no span object is made, so callers
 * guard their work with it. Tests {@link #use} a tracer of their own (an in-memory exporter).
 */
public final class Tracing {
    private static final String INSTRUMENTATION = "io.drover.server";
    private static final TextMapGetter<String> TRACEPARENT = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(String carrier) {
            return List.of("traceparent");
        }

        @Override
        public String get(String carrier, String key) {
            return "traceparent".equals(key) ? carrier : null;
        }
    };

    private volatile Tracer tracer;

    private Tracing(Tracer tracer) {
        this.tracer = tracer;
    }

    /** No spans, until a tracer is {@link #use}d. */
    public static Tracing off() {
        return new Tracing(null);
    }

    /** The tracer of the OTLP exporter when {@code OTEL_EXPORTER_OTLP_ENDPOINT} is set in {@code env}, else off. */
    public static Tracing fromEnv(java.util.Map<String, String> env) {
        String endpoint = env.get("OTEL_EXPORTER_OTLP_ENDPOINT");
        if (endpoint == null || endpoint.isBlank()) {
            return off();
        }
        return new Tracing(OtlpTracing.start(env).getTracer(INSTRUMENTATION));
    }

    /** Spans go to {@code otel}'s tracer from now on (null: off). */
    public void use(io.opentelemetry.api.OpenTelemetry otel) {
        this.tracer = otel == null ? null : otel.getTracer(INSTRUMENTATION);
    }

    public boolean on() {
        return tracer != null;
    }

    /** One finished span, a child of {@code traceparent}, from {@code start} to {@code end}. */
    public void span(String name, String traceparent, Instant start, Instant end, UUID runId, String job) {
        Tracer t = tracer;
        if (t == null || traceparent == null) {
            return;
        }
        Span s = t.spanBuilder(name).setParent(parent(traceparent)).setSpanKind(SpanKind.INTERNAL)
                .setStartTimestamp(start).setAllAttributes(attributes(runId, job)).startSpan();
        s.end(end);
    }

    /**
     * A span that is open while something is sent on the run's behalf (a push), or null when off or
     * the run has no trace context. Its {@link Open#traceparent} goes with the request.
     */
    public Open open(String name, String traceparent, UUID runId, String job) {
        Tracer t = tracer;
        if (t == null || traceparent == null) {
            return null;
        }
        return new Open(t.spanBuilder(name).setParent(parent(traceparent)).setSpanKind(SpanKind.CLIENT)
                .setAllAttributes(attributes(runId, job)).startSpan());
    }

    /** An open span. */
    public static final class Open {
        private final Span span;

        private Open(Span span) {
            this.span = span;
        }

        /** The W3C traceparent naming this span: the parent of what the other side does. */
        public String traceparent() {
            var c = span.getSpanContext();
            return "00-" + c.getTraceId() + "-" + c.getSpanId() + "-" + c.getTraceFlags().asHex();
        }

        /** Ends the span; {@code error} non-null marks it failed. */
        public void end(Integer httpStatus, String error) {
            if (httpStatus != null) {
                span.setAttribute("http.response.status_code", httpStatus);
            }
            if (error != null) {
                span.setStatus(StatusCode.ERROR, error);
            }
            span.end();
        }
    }

    private static Context parent(String traceparent) {
        return W3CTraceContextPropagator.getInstance().extract(Context.root(), traceparent, TRACEPARENT);
    }

    private static Attributes attributes(UUID runId, String job) {
        AttributesBuilder b = Attributes.builder();
        if (runId != null) {
            b.put("drover.run_id", runId.toString());
        }
        if (job != null) {
            b.put("drover.job", job);
        }
        return b.build();
    }
}
