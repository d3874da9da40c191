package io.drover.telemetry;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.Map;

/**
 * The OpenTelemetry SDK with an OTLP span exporter, made only when OTEL_EXPORTER_OTLP_ENDPOINT is
 * set: {@code OTEL_EXPORTER_OTLP_PROTOCOL} {@code http/protobuf} (default; the endpoint gets
 * {@code /v1/traces}) or {@code grpc}, {@code OTEL_SERVICE_NAME} (default {@code drover}). Spans are
 * batched and sent by the SDK's own thread; they are flushed when the JVM exits.
 */
final class OtlpTracing {
    private OtlpTracing() {}

    static OpenTelemetry start(Map<String, String> env) {
        String endpoint = env.get("OTEL_EXPORTER_OTLP_ENDPOINT").strip();
        String protocol = env.getOrDefault("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf").strip();
        SpanExporter exporter = switch (protocol) {
            case "grpc" -> OtlpGrpcSpanExporter.builder().setEndpoint(endpoint).build();
            case "http/protobuf" -> OtlpHttpSpanExporter.builder()
                    .setEndpoint(endpoint.replaceAll("/+$", "") + "/v1/traces").build();
            default -> throw new IllegalArgumentException("OTEL_EXPORTER_OTLP_PROTOCOL must be http/protobuf or grpc, "
                    + "got " + protocol);
        };
        Resource resource = Resource.getDefault().merge(Resource.create(Attributes.of(
                io.opentelemetry.api.common.AttributeKey.stringKey("service.name"),
                env.getOrDefault("OTEL_SERVICE_NAME", "drover"))));
        SdkTracerProvider provider = SdkTracerProvider.builder().setResource(resource)
                .addSpanProcessor(BatchSpanProcessor.builder(exporter).build()).build();
        OpenTelemetrySdk sdk = OpenTelemetrySdk.builder().setTracerProvider(provider).build();
        Runtime.getRuntime().addShutdownHook(new Thread(provider::close, "otel-shutdown"));
        return sdk;
    }
}
