package io.opsflow.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.mock.env.MockEnvironment;

import io.opsflow.step.exec.CommandRunner;

/** When the fleet exists (never in prod, only when enabled) and where it lives; the fleet is not started here. */
class SandboxConfigurationTest {

    @Configuration(proxyBeanMethods = false)
    static class Base {
        @Bean
        CommandRunner commandRunner() {
            return new CommandRunner();
        }
    }

    /** The settings bound as the configuration binds them, without the fleet (which would start). */
    @Configuration(proxyBeanMethods = false)
    @EnableConfigurationProperties // the binding post-processor, which Spring Boot's auto-configuration registers
    static class PropertiesOnly {
        @Bean
        @ConfigurationProperties(prefix = "opsflow.sandbox")
        SandboxProperties sandboxProperties() {
            return new SandboxConfiguration().sandboxProperties();
        }
    }

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withUserConfiguration(Base.class, SandboxConfiguration.class);

    @Test
    void absentUnlessEnabled() {
        runner.run(ctx -> assertThat(ctx).doesNotHaveBean(SandboxFleet.class)
                .doesNotHaveBean(SandboxFleetProvisioner.class).doesNotHaveBean(SandboxProperties.class));
        runner.withPropertyValues("opsflow.sandbox.enabled=false")
                .run(ctx -> assertThat(ctx).doesNotHaveBean(SandboxFleet.class)
                        .doesNotHaveBean(SandboxFleetProvisioner.class).doesNotHaveBean(SandboxProperties.class));
    }

    @TempDir
    Path tmp;

    @Test
    void neverInTheProdProfileEvenWhenEnabled() {
        runner.withPropertyValues("opsflow.sandbox.enabled=true", "opsflow.sandbox.dir=" + tmp)
                .withInitializer(ctx -> ctx.getEnvironment().setActiveProfiles("prod"))
                .run(ctx -> {
                    assertThat(ctx).hasNotFailed();
                    assertThat(ctx).doesNotHaveBean(SandboxFleet.class);
                    assertThat(ctx).doesNotHaveBean(SandboxDatabases.class);
                    assertThat(ctx).doesNotHaveBean(SandboxFleetProvisioner.class);
                    assertThat(ctx).doesNotHaveBean(SandboxProperties.class);
                });
    }

    @Test
    void bindsItsProperties() {
        new ApplicationContextRunner().withUserConfiguration(PropertiesOnly.class)
                .withPropertyValues("opsflow.sandbox.port-range-start=31000", "opsflow.sandbox.environments.staging.hosts=4",
                        "opsflow.sandbox.environments.qa.hosts=1", "opsflow.sandbox.environments.qa.lb-port=18080",
                        "opsflow.sandbox.health-check-interval=250ms")
                .run(ctx -> {
                    SandboxProperties p = ctx.getBean(SandboxProperties.class);
                    assertThat(p.isEnabled()).isFalse();
                    assertThat(p.getPortRangeStart()).isEqualTo(31000);
                    assertThat(p.getEnvironments()).containsKeys("staging", "production", "qa");
                    assertThat(p.getEnvironments().get("staging").getHosts()).isEqualTo(4);
                    assertThat(p.getEnvironments().get("production").getHosts()).isEqualTo(3);
                    assertThat(p.getEnvironments().get("qa").getLbPort()).isEqualTo(18080);
                    assertThat(p.getHealthCheckInterval()).hasMillis(250);
                });
    }

    @Test
    void directoryDefaultsUnderTheVarDir() {
        SandboxProperties p = new SandboxProperties();
        assertThat(SandboxConfiguration.sandboxDir(p, new MockEnvironment())).isEqualTo(Path.of("var/sandbox"));
        assertThat(SandboxConfiguration.sandboxDir(p, new MockEnvironment().withProperty("opsflow.var-dir", "/srv/x")))
                .isEqualTo(Path.of("/srv/x/sandbox"));
        p.setDir(Path.of("/elsewhere"));
        assertThat(SandboxConfiguration.sandboxDir(p, new MockEnvironment())).isEqualTo(Path.of("/elsewhere"));
    }
}
