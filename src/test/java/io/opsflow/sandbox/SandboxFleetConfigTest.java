package io.opsflow.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A configuration the fleet cannot run is refused with the key to fix, before anything is created. */
class SandboxFleetConfigTest {
    @TempDir
    Path tmp;

    private void refused(SandboxProperties p, String... messages) {
        Path dir = tmp.resolve("sandbox");
        SandboxFleet fleet = new SandboxFleet(p, dir, null, null, null);
        assertThatThrownBy(fleet::start).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContainingAll(messages);
        assertThat(dir).doesNotExist();
        assertThat(fleet.isRunning()).isFalse();
    }

    @Test
    void badEnvironmentNamesAndHostCounts() {
        SandboxProperties p = new SandboxProperties();
        p.getEnvironments().put("Prod uction", new SandboxProperties.EnvironmentSpec(1, 0));
        p.getEnvironments().put("qa", new SandboxProperties.EnvironmentSpec(201, 0));
        p.getEnvironments().put("dev", new SandboxProperties.EnvironmentSpec(1, 70000));
        refused(p, "invalid environment name 'Prod uction'", "opsflow.sandbox.environments.qa.hosts must be 0..200, got 201",
                "opsflow.sandbox.environments.dev.lb-port");
    }

    @Test
    void badPortsUserAndInterval() {
        SandboxProperties p = new SandboxProperties();
        p.setPortRangeStart(80);
        p.setUser("bad user;");
        p.setHealthCheckInterval(Duration.ZERO);
        refused(p, "opsflow.sandbox.port-range-start", "opsflow.sandbox.user", "opsflow.sandbox.health-check-interval");
    }

    @Test
    void hostPathMustBeAbsoluteDirectories() {
        for (String bad : new String[] {"", "bin:/usr/bin", "/usr/bin::/bin", "/usr/bin:$HOME/bin", "/usr/bin\n/x"}) {
            SandboxProperties p = new SandboxProperties();
            p.setHostPath(bad);
            refused(p, "opsflow.sandbox.host-path must be absolute directories");
        }
    }

    @Test
    void theDefaultsAreValid() {
        assertThatCode(() -> SandboxFleet.validate(new SandboxProperties())).doesNotThrowAnyException();
    }
}
