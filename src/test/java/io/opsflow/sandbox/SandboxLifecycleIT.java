package io.opsflow.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import io.opsflow.environments.Environments;
import io.opsflow.environments.EnvironmentsProperties;
import io.opsflow.environments.HostConfig;
import io.opsflow.provision.FleetProvisioner;
import io.opsflow.step.exec.CommandRunner;
import io.opsflow.step.ssh.SshConnections;
import io.opsflow.step.ssh.WorkerScripts;

/** With Spring: the fleet starts with the application context, registers its hosts, and stops with it. */
class SandboxLifecycleIT {
    @TempDir
    Path tmp;

    @Configuration(proxyBeanMethods = false)
    @EnableConfigurationProperties(EnvironmentsProperties.class)
    static class Beans {
        @Bean
        CommandRunner commandRunner() {
            return new CommandRunner();
        }

        @Bean
        Environments environments(EnvironmentsProperties p) {
            return new Environments(p);
        }

        @Bean
        WorkerScripts workerScripts() {
            return new WorkerScripts(new SshConnections(Duration.ofSeconds(10)), Path.of("workers"),
                    ".opsflow/workers");
        }
    }

    @Test
    void fleetLivesAndDiesWithTheApplicationContext() {
        // below the ephemeral port range (see SandboxApp.PORT_RANGE_START)
        int start = 10000 + 100 * ThreadLocalRandom.current().nextInt(140);
        List<HostConfig>[] seen = new List[1];
        new ApplicationContextRunner().withUserConfiguration(Beans.class, SandboxConfiguration.class)
                .withPropertyValues("opsflow.sandbox.enabled=true", "opsflow.sandbox.dir=" + tmp,
                        "opsflow.sandbox.bootstrap=false", "opsflow.sandbox.port-range-start=" + start,
                        "opsflow.sandbox.environments.staging.hosts=1",
                        "opsflow.sandbox.environments.production.hosts=1",
                        "opsflow.environments.production.requires-approval=true",
                        "opsflow.environments.production.approver-group=release-managers")
                .run(ctx -> {
                    assertThat(ctx).hasNotFailed();
                    SandboxFleet fleet = ctx.getBean(SandboxFleet.class);
                    assertThat(fleet.isRunning()).isTrue();
                    Environments envs = ctx.getBean(Environments.class);
                    seen[0] = envs.get("staging").hosts();
                    assertThat(seen[0]).hasSize(1);
                    // the first block of the range, unless a listener in it (even one of the fleet's own SSH
                    // servers or load balancers, on ports the OS chose) made the host move to a later block
                    assertThat(seen[0].get(0).portBase()).isEqualTo(fleet.hosts("staging").get(0).portBase())
                            .isGreaterThanOrEqualTo(start).matches(b -> (b - start) % 100 == 0);
                    try (Socket s = new Socket("127.0.0.1", seen[0].get(0).sshPort())) {
                        assertThat(s.isConnected()).isTrue();
                    }
                    // configured policy is kept, the sandbox only fills in hosts, ssh, load balancer, inventory
                    assertThat(envs.get("production").requiresApproval()).isTrue();
                    assertThat(envs.get("production").approverGroup()).isEqualTo("release-managers");
                    assertThat(envs.get("production").ssh().keyRef()).isEqualTo(fleet.keyRef());
                    assertThat(envs.get("production").loadBalancer().url())
                            .isEqualTo(fleet.loadBalancer("production").url());
                    // the configuration registers the sandbox's provisioner, which takes the fleet's environments
                    assertThat(ctx).hasSingleBean(SandboxFleetProvisioner.class);
                    assertThat(ctx.getBeanProvider(FleetProvisioner.class).orderedStream().findFirst()).get()
                            .isInstanceOf(SandboxFleetProvisioner.class)
                            .satisfies(p -> assertThat(p.handles("staging")).isTrue());
                });
        assertThatThrownBy(() -> new Socket("127.0.0.1", seen[0].get(0).sshPort()).close())
                .isInstanceOf(IOException.class);
    }
}
