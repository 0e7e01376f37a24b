package io.opsflow.platform.metrics;

import java.util.Set;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import io.micrometer.core.instrument.MeterRegistry;
import io.opsflow.environments.Environments;

/** The run meters ({@link RunMetrics}), fed by {@link RunMetricsPlugin}; environment tags from the configuration. */
@Configuration
public class MetricsConfiguration {

    @Bean
    public RunMetrics runMetrics(MeterRegistry registry, ObjectProvider<Environments> environments) {
        return new RunMetrics(registry, () -> {
            Environments envs = environments.getIfAvailable();
            return envs == null ? Set.of() : Set.copyOf(envs.names());
        });
    }
}
