package io.opsflow.platform.security;

import java.util.Arrays;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.env.EnvironmentPostProcessor;
import org.springframework.core.env.ConfigurableEnvironment;

/**
 * In the {@code prod} profile, refuses to start (before anything touches the database) when the admin password is
 * missing or equals the user id, when sandbox users or the sandbox fleet are enabled, or when the H2 console is on.
 */
public class ProdSafetyCheck implements EnvironmentPostProcessor {

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment env, SpringApplication application) {
        if (!Arrays.asList(env.getActiveProfiles()).contains("prod")) {
            return;
        }
        String id = env.getProperty("camunda.bpm.admin-user.id", "admin");
        String password = env.getProperty("camunda.bpm.admin-user.password", "");
        if (password == null || password.isBlank()) {
            throw new IllegalStateException("prod profile: the admin password is missing. Set OPSFLOW_ADMIN_PASSWORD"
                    + " (and optionally OPSFLOW_ADMIN_USER) in the environment.");
        }
        if (password.equals(id) || password.equalsIgnoreCase("admin") || password.length() < 12) {
            throw new IllegalStateException("prod profile: refusing to start with a default or weak admin password"
                    + " (equal to the user id, 'admin', or shorter than 12 characters). Set OPSFLOW_ADMIN_PASSWORD.");
        }
        if (env.getProperty("opsflow.security.sandbox-users", Boolean.class, false)) {
            throw new IllegalStateException("prod profile: opsflow.security.sandbox-users must be false");
        }
        if (env.getProperty("opsflow.sandbox.enabled", Boolean.class, false)) {
            throw new IllegalStateException("prod profile: opsflow.sandbox.enabled must be false");
        }
        if (env.getProperty("spring.h2.console.enabled", Boolean.class, false)) {
            throw new IllegalStateException("prod profile: the H2 console must stay off");
        }
    }
}
