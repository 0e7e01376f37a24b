package io.opsflow.step;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.ComponentScan;
import org.springframework.context.annotation.Configuration;

import io.opsflow.step.http.HttpHealthCheckDelegate;
import io.opsflow.step.ssh.SshCommandDelegate;
import io.opsflow.step.ssh.SshConnections;
import io.opsflow.step.ssh.SshFanOut;
import io.opsflow.step.ssh.SshProperties;
import io.opsflow.step.ssh.WorkerScripts;

/** The SSH/HTTP beans wire in Spring with the documented bean names and bind opsflow.ssh / opsflow.workers keys. */
class SshHttpBeansIT {

    @Configuration
    @ComponentScan(basePackages = {"io.opsflow.step.exec", "io.opsflow.step.ssh", "io.opsflow.step.http",
            "io.opsflow.environments"})
    @EnableConfigurationProperties({SshProperties.class, io.opsflow.environments.EnvironmentsProperties.class})
    static class Config {
        /** Step logs live in the engine's database: the step library needs one. */
        @org.springframework.context.annotation.Bean
        javax.sql.DataSource dataSource() {
            org.springframework.jdbc.datasource.DriverManagerDataSource ds =
                    new org.springframework.jdbc.datasource.DriverManagerDataSource(
                            "jdbc:h2:mem:ssh-http-beans-" + java.util.UUID.randomUUID() + ";DB_CLOSE_DELAY=-1", "sa", "");
            ds.setDriverClassName("org.h2.Driver");
            return ds;
        }
    }

    @Test
    void beansAndProperties() {
        new ApplicationContextRunner().withUserConfiguration(Config.class)
                // as SpringApplication does: @Value durations such as PT1S convert
                .withInitializer(c -> c.getBeanFactory().setConversionService(
                        org.springframework.boot.convert.ApplicationConversionService.getSharedInstance()))
                .withPropertyValues("opsflow.ssh.key-ref=env:OPSFLOW_SSH_KEY_PATH",
                        "opsflow.ssh.known-hosts=/etc/opsflow/known_hosts", "opsflow.ssh.connect-timeout=PT3S",
                        "opsflow.ssh.fingerprints[0]=SHA256:abc", "opsflow.workers.dir=/srv/opsflow/workers",
                        "opsflow.workers.remote-dir=~/.opsflow/w")
                .run(ctx -> {
                    assertThat(ctx).hasNotFailed();
                    assertThat(ctx.getBean("sshCommand")).isInstanceOf(SshCommandDelegate.class);
                    assertThat(ctx.getBean("httpHealthCheck")).isInstanceOf(HttpHealthCheckDelegate.class);
                    assertThat(ctx).hasSingleBean(SshFanOut.class);
                    SshProperties p = ctx.getBean(SshProperties.class);
                    assertThat(p.keyRef()).isEqualTo("env:OPSFLOW_SSH_KEY_PATH");
                    assertThat(p.knownHosts()).isEqualTo(Path.of("/etc/opsflow/known_hosts"));
                    assertThat(p.fingerprints()).containsExactly("SHA256:abc");
                    assertThat(p.user()).isEqualTo("opsflow");
                    assertThat(p.port()).isEqualTo(22);
                    assertThat(p.commandTimeout()).isEqualTo(Duration.ofMinutes(10));
                    assertThat(ctx.getBean(SshConnections.class).connectTimeout()).isEqualTo(Duration.ofSeconds(3));
                    WorkerScripts w = ctx.getBean(WorkerScripts.class);
                    assertThat(w.workersDir()).isEqualTo(Path.of("/srv/opsflow/workers"));
                    assertThat(w.remoteDir()).isEqualTo(".opsflow/w");
                    // content-addressed copies on the hosts: remembering a checked script is on by default
                    assertThat(w.verifiedFor()).isEqualTo(Duration.ofMinutes(10));
                });
    }
}
