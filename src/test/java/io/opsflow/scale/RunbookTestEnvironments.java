package io.opsflow.scale;

import java.time.Duration;
import java.util.List;

import io.opsflow.environments.Environments;
import io.opsflow.environments.EnvironmentsProperties;

/**
 * Environments for the scale/restart/provision process tests: staging with 2 hosts (no approval) and production with
 * 3 hosts (approval), reminder after 30 minutes, deadline after 2 hours, terraform roots as given.
 */
public final class RunbookTestEnvironments {
    private RunbookTestEnvironments() {
    }

    public static Environments create() {
        return create(null, null);
    }

    public static Environments create(String stagingTerraformRoot, String productionTerraformRoot) {
        EnvironmentsProperties p = new EnvironmentsProperties();
        p.getEnvironments().put("staging", env(false, List.of("staging-web-1", "staging-web-2"), 9100,
                stagingTerraformRoot));
        p.getEnvironments().put("production", env(true, List.of("production-web-1", "production-web-2",
                "production-web-3"), 9200, productionTerraformRoot));
        EnvironmentsProperties.EnvironmentSpec single = env(false, List.of("solo-web-1"), 9300, null);
        p.getEnvironments().put("solo", single);
        // a big environment: 100 hosts with long names, no approval (what the variables of a run over it must hold)
        List<String> fleet = java.util.stream.IntStream.rangeClosed(1, 100)
                .mapToObj(i -> String.format("fleet-eu-west-1-production-web-%03d", i)).toList();
        p.getEnvironments().put("fleet", env(false, fleet, 12000, null));
        return new Environments(p);
    }

    private static EnvironmentsProperties.EnvironmentSpec env(boolean approval, List<String> hosts, int portBase,
                                                              String terraformRoot) {
        EnvironmentsProperties.EnvironmentSpec s = new EnvironmentsProperties.EnvironmentSpec();
        s.setRequiresApproval(approval);
        s.setApprovalReminder(Duration.ofMinutes(30));
        s.setApprovalDeadline(Duration.ofHours(2));
        s.setTerraformRoot(terraformRoot);
        int i = 0;
        for (String h : hosts) {
            EnvironmentsProperties.HostSpec hs = new EnvironmentsProperties.HostSpec();
            hs.setName(h);
            hs.setAddress("127.0.0.1");
            hs.setSshPort(2200 + portBase / 100 + i);
            hs.setPortBase(portBase + 200 * i);
            s.getHosts().add(hs);
            i++;
        }
        s.getLoadBalancer().setUrl("http://127.0.0.1:" + (portBase - 1000));
        s.getLoadBalancer().setApiUrl("http://127.0.0.1:" + (portBase - 999));
        return s;
    }
}
