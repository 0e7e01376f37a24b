package io.opsflow.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.camunda.bpm.engine.ProcessEngine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import io.opsflow.OpsflowApplication;
import io.opsflow.environments.Environments;
import io.opsflow.environments.HostConfig;
import io.opsflow.testsupport.FleetProcess;
import io.opsflow.testsupport.RestClient;
import io.opsflow.testsupport.SandboxApp;

/**
 * The sandbox fleet as a process of its own ({@code opsflow.sandbox.mode=fleet}, a JVM of its own) and an engine node
 * with no sandbox ({@code opsflow.sandbox.mode=external}) pointed at it: the engine reaches the fleet's hosts through
 * plain environment configuration and runs a staging release to SUCCEEDED, checked on the hosts themselves (each
 * instance's own {@code /version}, the instance directories on the fleet's disk). Misuse: an engine pointed at no
 * fleet, a missing or an incomplete fleet directory refuses to start, saying what is wrong. About 90 s.
 */
class SandboxFleetProcessIT {
    static final Duration RUN = Duration.ofMinutes(5);

    /** An engine node (H2 in {@code var}, web server on a free port, an engine name of its own). */
    static ConfigurableApplicationContext engine(Path var, List<String> props) {
        List<String> args = new ArrayList<>(List.of("server.port=0", "opsflow.var-dir=" + var,
                "camunda.bpm.process-engine-name=fleet-it-" + java.util.UUID.randomUUID().toString().substring(0, 8),
                "camunda.bpm.job-execution.wait-time-in-millis=200", "camunda.bpm.job-execution.max-wait=1000"));
        args.addAll(props);
        return new SpringApplicationBuilder(OpsflowApplication.class)
                .run(args.stream().map(p -> "--" + p).toArray(String[]::new));
    }

    @Test
    void anEngineWithoutASandboxOfItsOwnReleasesToTheFleetProcess(@TempDir Path tmp) throws Exception {
        // misuse first: nothing to point at
        assertRefused(tmp.resolve("e1"), List.of("opsflow.sandbox.mode=external"),
                "opsflow.sandbox.mode=external needs opsflow.sandbox.fleet-dir");
        assertRefused(tmp.resolve("e2"), List.of("opsflow.sandbox.mode=external",
                "opsflow.sandbox.fleet-dir=" + tmp.resolve("nowhere")), "does not exist — start the fleet first");
        Files.createDirectories(tmp.resolve("empty"));
        assertRefused(tmp.resolve("e3"), List.of("opsflow.sandbox.mode=external",
                "opsflow.sandbox.fleet-dir=" + tmp.resolve("empty")), "no sandbox fleet runs in " + tmp.resolve("empty"));

        Path dir = tmp.resolve("fleet");
        try (FleetProcess fleet = FleetProcess.start(dir)) {
            // a fleet directory whose key, known_hosts, inventory and artifacts are gone
            Path partial = Files.createDirectories(tmp.resolve("partial"));
            Files.writeString(partial.resolve(SandboxEngineConfig.FILE), Files.readString(
                    dir.resolve(SandboxEngineConfig.FILE)).replace(dir.toString(), partial.toString()));
            assertRefused(tmp.resolve("e4"), List.of("opsflow.sandbox.mode=external",
                    "opsflow.sandbox.fleet-dir=" + partial), "the sandbox fleet in " + partial + " is incomplete: "
                    + "staging SSH key " + partial.resolve("keys"));

            List<String> props = new ArrayList<>(fleet.engineArgs());
            props.add("opsflow.release.start-health-timeout=PT5S");
            try (ConfigurableApplicationContext app = engine(tmp.resolve("engine"), props)) {
                assertThat(app.getBeanNamesForType(SandboxFleet.class)).as("no fleet in the engine node").isEmpty();
                Environments environments = app.getBean(Environments.class);
                List<HostConfig> staging = environments.get("staging").hosts();
                assertThat(staging).extracting(HostConfig::name).containsExactly("staging-web-1", "staging-web-2");
                assertThat(environments.get("production").requiresApproval())
                        .as("the engine's own policy is kept").isTrue();
                int port = app.getEnvironment().getRequiredProperty("local.server.port", Integer.class);
                ProcessEngine engine = app.getBean(ProcessEngine.class);

                String pi = SandboxApp.start(RestClient.as(port, "operator"), "release-version", "environment",
                        "staging", "application", "webapp", "version", "1.1.0", "strategy", "rolling", "reason",
                        "CHG-12: the fleet in a process of its own");
                SandboxApp.awaitEnd(engine, pi, RUN);
                assertThat(SandboxApp.var(engine, pi, "outcome")).isEqualTo("SUCCEEDED");

                // the hosts, read where they are: each instance on its own port, and its directory on the fleet's disk
                for (HostConfig h : staging) {
                    List<SandboxInstances.Installed> installed = SandboxInstances.installed(h.name(),
                            dir.resolve("hosts").resolve(h.name()));
                    List<SandboxInstances.Installed> running = installed.stream()
                            .filter(i -> "running".equals(i.desiredState())).toList();
                    assertThat(running).as(h.name() + " " + installed).hasSize(1)
                            .allSatisfy(i -> assertThat(i.version()).isEqualTo("1.1.0"));
                    assertThat(RestClient.versionAt("http://127.0.0.1:" + running.get(0).port()))
                            .as(h.name()).isEqualTo("1.1.0");
                }
            }
            assertThat(fleet.process().isAlive()).as("the fleet outlives the engine node").isTrue();
        }
        assertThat(dir.resolve(SandboxEngineConfig.FILE)).as("removed when the fleet stops").doesNotExist();
    }

    private static void assertRefused(Path var, List<String> props, String message) {
        assertThatThrownBy(() -> engine(var, props).close())
                .satisfies(e -> assertThat(Stream.iterate((Throwable) e, t -> t != null, Throwable::getCause)
                        .map(Throwable::getMessage).toList()).as("the causes' messages")
                        .anySatisfy(m -> assertThat(m).contains(message)));
    }
}
