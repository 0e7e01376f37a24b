package io.opsflow.platform.security;

import org.camunda.bpm.engine.rest.security.auth.ProcessEngineAuthenticationFilter;
import org.camunda.bpm.engine.rest.security.auth.impl.HttpBasicAuthenticationProvider;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;

/**
 * The engine REST API ({@code /engine-rest}) is open by default in Camunda 7: here it demands HTTP Basic against the
 * engine's identity service, and the authenticated user reaches the engine (authorization checks,
 * {@code camunda:initiator}). The metrics endpoints use the same filter; opsflow's own API ({@code /api}) uses
 * {@link ApiAuthenticationFilter}: Basic too, and for reads also the webapps' login session (Tasklist forms).
 * {@code /actuator/health} stays open for load balancer probes and shows details only to an administrator who sends
 * HTTP Basic credentials ({@link HealthDetailsFilter}).
 */
@Configuration
public class RestSecurityConfig {

    @Bean
    public FilterRegistrationBean<ProcessEngineAuthenticationFilter> restAuthenticationFilter() {
        FilterRegistrationBean<ProcessEngineAuthenticationFilter> reg =
                new FilterRegistrationBean<>(new ProcessEngineAuthenticationFilter());
        reg.setName("opsflow-rest-authentication");
        reg.addInitParameter("authentication-provider", HttpBasicAuthenticationProvider.class.getName());
        reg.addUrlPatterns("/engine-rest/*", "/actuator/prometheus", "/actuator/metrics", "/actuator/metrics/*");
        reg.setOrder(Ordered.HIGHEST_PRECEDENCE + 10);
        return reg;
    }

    @Bean
    public FilterRegistrationBean<HealthDetailsFilter> healthDetailsFilter(
            org.springframework.beans.factory.ObjectProvider<org.camunda.bpm.engine.IdentityService> identity) {
        FilterRegistrationBean<HealthDetailsFilter> reg = new FilterRegistrationBean<>(
                new HealthDetailsFilter(identity::getObject));
        reg.setName("opsflow-health-details");
        reg.addUrlPatterns("/actuator/health", "/actuator/health/*");
        reg.setOrder(Ordered.HIGHEST_PRECEDENCE + 10);
        return reg;
    }

    @Bean
    public FilterRegistrationBean<ApiAuthenticationFilter> apiAuthenticationFilter() {
        FilterRegistrationBean<ApiAuthenticationFilter> reg = new FilterRegistrationBean<>(new ApiAuthenticationFilter());
        reg.setName("opsflow-api-authentication");
        reg.addInitParameter("authentication-provider", HttpBasicAuthenticationProvider.class.getName());
        reg.addUrlPatterns("/api/*");
        reg.setOrder(Ordered.HIGHEST_PRECEDENCE + 10);
        return reg;
    }
}
