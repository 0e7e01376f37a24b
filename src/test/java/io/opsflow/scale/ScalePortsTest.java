package io.opsflow.scale;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.opsflow.environments.Environment;
import io.opsflow.environments.Environments;
import io.opsflow.environments.EnvironmentsProperties;

/**
 * A scale instance's port is computed from its name (webapp {@code i<n>}: port base + 20 + n, api: + 30 + n), so
 * names that are free in the environment can still land on a port that is not free on the host: an api instance's
 * (webapp i11 and api i1 share port base + 31), or, for sandbox hosts sharing one machine, the next host's block.
 * The planner skips such names, and a host on which no name fits for the next one.
 */
class ScalePortsTest {

    static Environments environments(Integer span) {
        EnvironmentsProperties p = new EnvironmentsProperties();
        EnvironmentsProperties.EnvironmentSpec s = new EnvironmentsProperties.EnvironmentSpec();
        for (int i = 0; i < 2; i++) {
            EnvironmentsProperties.HostSpec h = new EnvironmentsProperties.HostSpec();
            h.setName("web-" + (i + 1));
            h.setAddress("127.0.0.1");
            h.setPortBase(20000 + 100 * i);
            h.setPortSpan(span);
            s.getHosts().add(h);
        }
        p.getEnvironments().put("sandboxed", s);
        return new Environments(p);
    }

    static AppInstance inst(String host, String name) {
        return new AppInstance(host, name, host + "-" + name, "http://x", "blue", "active", true);
    }

    @Test
    void aNameWhosePortAnotherApplicationHoldsIsSkipped() {
        Environments envs = environments(null);
        Environment env = envs.get("sandboxed");
        assertThat(envs.instancePort(env.host("web-1").orElseThrow(), "webapp", "i11"))
                .as("the collision this guards against").isEqualTo(
                        envs.instancePort(env.host("web-1").orElseThrow(), "api", "i1"));
        List<AppInstance> current = new java.util.ArrayList<>(List.of(inst("web-1", "blue"), inst("web-2", "blue")));
        for (int n = 1; n <= 10; n++) {
            current.add(inst(n % 2 == 0 ? "web-1" : "web-2", "i" + n));
        }
        // api/i1 runs on web-1 at 20031: webapp i11 must not go there
        ScaleOperations.PoolState pool = new ScaleOperations.PoolState(current, "1.0.0", "blue",
                Map.of("web-1", Map.of(20031, "api/i1"), "web-2", Map.of()));
        ScalePlan plan = ScalePlanner.plan("webapp", env.hosts(), current, 14, 7,
                ScaleInspectDelegate.portFits(envs, env, "webapp", pool));

        assertThat(plan.direction()).isEqualTo(ScalePlan.Direction.UP);
        assertThat(plan.add()).containsExactly(new Placement("web-1", "i12"), new Placement("web-2", "i11"));
    }

    @Test
    void onHostsSharingAMachineANameIsNeverPlacedPastTheHostsPortBlock() {
        Environments envs = environments(100);
        Environment env = envs.get("sandboxed");
        // webapp i79 listens on 20099, the last port of web-1's block; i80 would be 20100: web-2's webapp blue
        List<AppInstance> current = new java.util.ArrayList<>(List.of(inst("web-1", "blue"), inst("web-2", "blue")));
        for (int n = 1; n <= 78; n++) {
            current.add(inst(n % 2 == 0 ? "web-1" : "web-2", "i" + n));
        }
        ScaleOperations.PoolState pool = new ScaleOperations.PoolState(current, "1.0.0", "blue", Map.of());
        ScalePlanner.NameFits fits = ScaleInspectDelegate.portFits(envs, env, "webapp", pool);
        assertThat(fits.refusal("web-1", "i80")).contains("port 20100").contains("past the host's ports 20000..20099");

        ScalePlan one = ScalePlanner.plan("webapp", env.hosts(), current, 81, 100, fits);
        assertThat(one.add()).containsExactly(new Placement("web-1", "i79"));

        ScalePlan two = ScalePlanner.plan("webapp", env.hosts(), current, 82, 100, fits);
        assertThat(two.direction()).isEqualTo(ScalePlan.Direction.REFUSED);
        assertThat(two.refusal()).contains("no instance name i1..i999 is free in the environment and fits on a host")
                .contains("past the host's ports");
    }

    @Test
    void onAMachineOfItsOwnAHostTakesNamesPastNinetyNine() {
        Environments envs = environments(null);
        Environment env = envs.get("sandboxed");
        List<AppInstance> current = new java.util.ArrayList<>(List.of(inst("web-1", "blue")));
        for (int n = 1; n <= 99; n++) {
            current.add(inst(n % 2 == 0 ? "web-1" : "web-2", "i" + n));
        }
        ScalePlan plan = ScalePlanner.plan("webapp", env.hosts(), current, 101, 100,
                ScaleInspectDelegate.portFits(envs, env, "webapp", new ScaleOperations.PoolState(current, "1.0.0",
                        "blue", Map.of())));
        assertThat(plan.add()).containsExactly(new Placement("web-1", "i100"));
        assertThat(envs.instancePort(env.host("web-1").orElseThrow(), "webapp", "i100")).isEqualTo(20120);
    }
}
