package io.opsflow.platform;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.camunda.bpm.spring.boot.starter.webapp.filter.LazyInitRegistration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.util.ClassUtils;

import io.opsflow.OpsflowApplication;
import io.opsflow.provision.FleetProvisioner;
import io.opsflow.provision.RegistryFleetProvisioner;

/**
 * The whole application in the {@code prod} profile (on an H2 file database of its own): it starts, and none of the
 * sandbox's beans exists — nothing from {@code io.opsflow.sandbox} (the fleet, its settings, its databases, its
 * {@link FleetProvisioner}), nothing named {@code Sandbox*} anywhere else; provisioning has only the registry.
 */
class ProdProfileIT {

    @Test
    void aProdContextHasNoSandboxBean(@TempDir Path var) {
        try (ConfigurableApplicationContext app = new SpringApplicationBuilder(OpsflowApplication.class)
                .profiles("prod").run(Stream.of("server.port=0", "server.address=127.0.0.1",
                        "spring.main.banner-mode=off", "opsflow.var-dir=" + var,
                        "camunda.bpm.admin-user.password=prod-profile-it-" + System.nanoTime(),
                        // an engine name of its own: closing this context must not unregister another test's engine
                        "camunda.bpm.process-engine-name=prodprofileit",
                        "camunda.bpm.job-execution.enabled=false").map(a -> "--" + a).toArray(String[]::new))) {
            List<String> sandboxBeans = new ArrayList<>();
            for (String name : app.getBeanDefinitionNames()) {
                Class<?> type = app.getBeanFactory().getType(name, false);
                if (type == null) {
                    continue;
                }
                Class<?> user = ClassUtils.getUserClass(type);
                if (user.getName().startsWith("io.opsflow.sandbox.") || user.getSimpleName().startsWith("Sandbox")
                        || name.toLowerCase(java.util.Locale.ROOT).contains("sandbox")) {
                    sandboxBeans.add(name + " (" + user.getName() + ")");
                }
            }
            assertThat(sandboxBeans).as("sandbox beans in a prod context").isEmpty();
            assertThat(app.getBeanProvider(FleetProvisioner.class).orderedStream().toList())
                    .singleElement().isInstanceOf(RegistryFleetProvisioner.class);
        } finally {
            // a start refused inside the refresh leaves the webapp filters on the dead context (see ProdIdentityIT)
            new LazyInitRegistration().setApplicationContext(null);
        }
    }
}
