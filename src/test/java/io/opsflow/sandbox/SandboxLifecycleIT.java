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

    /** An engine configuration bean as the Camunda starter declares it (never built here). */
    @Configuration(proxyBeanMethods = false)
    static class FakeEngine {
        @Bean
        org.camunda.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl processEngineConfigurationImpl() {
            return new org.camunda.bpm.engine.impl.cfg.StandaloneInMemProcessEngineConfiguration();
        }
    }

    /** A bean created after the fleet that fails: the application does not start. */
    @Configuration(proxyBeanMethods = false)
    static class FailingAfterTheFleet {
        @Bean
        String brokenBean(SandboxFleet fleet) {
            throw new IllegalStateException("broken bean after the fleet");
        }
    }

    private ApplicationContextRunner runner(int start) {
        return new ApplicationContextRunner().withUserConfiguration(Beans.class, SandboxConfiguration.class)
                .withPropertyValues("opsflow.sandbox.enabled=true", "opsflow.sandbox.dir=" + tmp,
                        "opsflow.sandbox.bootstrap=false", "opsflow.sandbox.port-range-start=" + start,
                        "opsflow.sandbox.environments.staging.hosts=2");
    }

    private static int rangeStart() {
        return 10000 + 100 * ThreadLocalRandom.current().nextInt(140);
    }

    @Test
    void theFleetBeginsStartingBeforeTheEngineIsBuiltAndIsUpWhenTheApplicationIs() {
        runner(rangeStart()).withUserConfiguration(FakeEngine.class).run(ctx -> {
            assertThat(ctx).hasNotFailed();
            // the engine's configuration waits for the fleet bean, which began its start on a thread of its own
            assertThat(ctx.getBeanFactory().getBeanDefinition("processEngineConfigurationImpl").getDependsOn())
                    .contains("sandboxFleet");
            SandboxFleet fleet = ctx.getBean(SandboxFleet.class);
            assertThat(fleet.startedEarly()).isTrue();
            assertThat(fleet.isRunning()).isTrue();
            // handed over whole: registered, every host listening
            assertThat(ctx.getBean(Environments.class).get("staging").hosts()).hasSize(2);
            for (SandboxFleet.FleetHost h : fleet.hosts("staging")) {
                try (Socket s = new Socket("127.0.0.1", h.sshPort())) {
                    assertThat(s.isConnected()).isTrue();
                }
            }
        });
    }

    @Test
    void aFleetThatCannotStartFailsTheApplicationWithItsOwnMessageAndLeavesNothingListening() throws IOException {
        // the sandbox directory is a file: the background work fails; the application's start says why
        Path notADir = tmp.resolve("sandbox-file");
        java.nio.file.Files.writeString(notADir, "x");
        new ApplicationContextRunner().withUserConfiguration(Beans.class, SandboxConfiguration.class)
                .withPropertyValues("opsflow.sandbox.enabled=true", "opsflow.sandbox.dir=" + notADir,
                        "opsflow.sandbox.bootstrap=false", "opsflow.sandbox.environments.staging.hosts=1")
                .run(ctx -> assertThat(ctx).hasFailed().getFailure()
                        .hasStackTraceContaining("the sandbox fleet in " + notADir.toAbsolutePath().normalize()
                                + " did not start"));
    }

    @Test
    void aBadConfigurationFailsAtOnceOnTheCallersThreadAndStartsNothing() {
        new ApplicationContextRunner().withUserConfiguration(Beans.class, SandboxConfiguration.class)
                .withPropertyValues("opsflow.sandbox.enabled=true", "opsflow.sandbox.dir=" + tmp,
                        "opsflow.sandbox.ports-per-host=5", "opsflow.sandbox.environments.staging.hosts=1")
                .run(ctx -> assertThat(ctx).hasFailed().getFailure()
                        .hasStackTraceContaining("opsflow.sandbox.ports-per-host must be 50..1000, got 5"));
        assertThat(tmp.resolve("state.json")).doesNotExist();
        assertThat(tmp.resolve("keys")).doesNotExist();
    }

    @Test
    void anApplicationThatFailsAfterTheFleetBeganLeavesNoHostListening() throws IOException {
        runner(rangeStart()).withUserConfiguration(FailingAfterTheFleet.class).run(ctx -> {
            assertThat(ctx).hasFailed();
            assertThat(ctx.getStartupFailure()).hasStackTraceContaining("broken bean after the fleet");
        });
        // the fleet's background work finished (state saved with the ports its hosts listened on) and was stopped
        SandboxState state = SandboxState.load(tmp.resolve("state.json"));
        List<Integer> ports = state.environments.get("staging").hosts.stream().map(h -> h.sshPort).toList();
        assertThat(ports).hasSize(2).allMatch(p -> p > 0);
        for (int port : ports) {
            assertThatThrownBy(() -> new Socket("127.0.0.1", port).close()).isInstanceOf(IOException.class);
        }
    }
}
