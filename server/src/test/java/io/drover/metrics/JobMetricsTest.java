package io.drover.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.drover.config.Config;
import io.drover.store.TxEffects;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The job label cap and its setting, without a server. */
class JobMetricsTest {

    @Test
    void the_cap_names_the_first_jobs_seen_and_folds_the_rest_into_other() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        JobMetrics metrics = new JobMetrics(registry, 2);
        for (String job : new String[] {"a", "b", "c", "a", "d", "b"}) {
            TxEffects fx = new TxEffects();
            fx.enqueued(job, "q", 1);
            fx.completed(job, "q", 12);
            metrics.record(fx.byJob());
        }
        assertThat(registry.get("drover_job_runs_enqueued").tags("job", "a", "queue", "q").counter().count())
                .isEqualTo(2);
        assertThat(registry.get("drover_job_runs_enqueued").tags("job", "b", "queue", "q").counter().count())
                .isEqualTo(2);
        assertThat(registry.get("drover_job_runs_enqueued").tags("job", "_other", "queue", "q").counter().count())
                .isEqualTo(2);
        assertThat(registry.get("drover_run_duration").tags("job", "_other", "outcome", "completed").timer().count())
                .isEqualTo(2);
        assertThat(registry.find("drover_job_runs_enqueued").tags("job", "c").counter()).isNull();
        assertThat(registry.find("drover_job_runs_enqueued").counters()).hasSize(3);
    }

    @Test
    void a_rolled_back_savepoint_forgets_its_per_job_counts() {
        TxEffects fx = new TxEffects();
        fx.claimed("a", "q");
        TxEffects mark = fx.mark();
        fx.claimed("a", "q");
        fx.attemptFailed("b", "q", 5);
        fx.restoreTo(mark);
        assertThat(fx.byJob()).containsOnlyKeys(new TxEffects.JobQueue("a", "q"));
        assertThat(fx.byJob().get(new TxEffects.JobQueue("a", "q")).claimed()).isEqualTo(1);
    }

    @Test
    void the_setting_defaults_to_200_and_is_checked() {
        assertThat(Config.fromEnv(Map.of()).metricsMaxJobs()).isEqualTo(200);
        assertThat(Config.fromEnv(Map.of("DROVER_METRICS_MAX_JOBS", "0")).validate())
                .anyMatch(p -> p.startsWith("DROVER_METRICS_MAX_JOBS must be 1..10000"));
        assertThat(Config.fromEnv(Map.of("DROVER_METRICS_MAX_JOBS", "50")).validate())
                .noneMatch(p -> p.contains("DROVER_METRICS_MAX_JOBS"));
    }
}
