package io.drover.usage;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Prometheus counters of recorded AI usage, labelled {@code job}, {@code provider} and
 * {@code model}: {@code drover_usage_cost_microusd_total} and {@code drover_usage_tokens_total}
 * (with {@code kind} input, output or cached_input). Cardinality is capped as JobMetrics caps jobs:
 * the first {@code maxSeries} (job, provider, model) sets this node sees keep their names, every
 * later one counts as job, provider and model {@code _other}. Added after the usage commit.
 */
public final class UsageMetrics {
    static final String OTHER = "_other";

    private final MeterRegistry registry;
    private final int maxSeries;
    private final Set<String> named = ConcurrentHashMap.newKeySet();
    private final Map<String, Counter[]> counters = new ConcurrentHashMap<>();

    public UsageMetrics(MeterRegistry registry, int maxSeries) {
        this.registry = registry;
        this.maxSeries = Math.max(1, maxSeries);
    }

    void record(String job, String provider, String model, long cost, long in, long out, long cached) {
        String key = job + "\u0000" + provider + "\u0000" + model;
        if (!named.contains(key)) {
            synchronized (named) {
                if (!named.contains(key)) {
                    if (named.size() < maxSeries) {
                        named.add(key);
                    } else {
                        job = OTHER;
                        provider = OTHER;
                        model = OTHER;
                        key = OTHER;
                    }
                }
            }
        }
        String j = job;
        String p = provider;
        String m = model;
        Counter[] c = counters.computeIfAbsent(key, k -> new Counter[] {
            Counter.builder("drover_usage_cost_microusd").description("Cost of recorded AI usage, in micro-USD")
                    .tags("job", j, "provider", p, "model", m).register(registry),
            tokens(j, p, m, "input"), tokens(j, p, m, "output"), tokens(j, p, m, "cached_input")});
        c[0].increment(cost);
        c[1].increment(in);
        c[2].increment(out);
        c[3].increment(cached);
    }

    private Counter tokens(String job, String provider, String model, String kind) {
        return Counter.builder("drover_usage_tokens").description("Tokens of recorded AI usage")
                .tags("job", job, "provider", provider, "model", model, "kind", kind).register(registry);
    }
}
