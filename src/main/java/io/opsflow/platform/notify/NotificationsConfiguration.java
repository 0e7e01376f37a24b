package io.opsflow.platform.notify;

import org.camunda.bpm.engine.ProcessEngine;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/** The notifier, the composer and the engine plugin that attaches them to every runbook. */
@Configuration(proxyBeanMethods = false)
public class NotificationsConfiguration {

    @Bean(destroyMethod = "close")
    public Notifier notifier(NotificationsProperties props, ObjectProvider<MeterRegistry> meters,
                             ObjectProvider<ProcessEngine> engine) {
        return new Notifier(props, meters.getIfAvailable(SimpleMeterRegistry::new),
                new Recipients(() -> {
                    ProcessEngine e = engine.getIfAvailable();
                    return e == null ? null : e.getIdentityService();
                }));
    }

    @Bean
    public RunNotifications runNotifications(ObjectProvider<Notifier> notifier) {
        return new RunNotifications(notifier::getIfAvailable);
    }

    @Bean
    public NotificationsEnginePlugin notificationsEnginePlugin(RunNotifications notifications) {
        return new NotificationsEnginePlugin(notifications);
    }
}
