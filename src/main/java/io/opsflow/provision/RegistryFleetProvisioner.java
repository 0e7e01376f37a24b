package io.opsflow.provision;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;

import io.opsflow.environments.Environment;
import io.opsflow.environments.Environments;
import io.opsflow.environments.EnvironmentsProperties;
import io.opsflow.environments.HostConfig;

/**
 * Default {@link FleetProvisioner} for real infrastructure: Terraform created the machines, so the fleet is simply the
 * {@code hosts} output, each {@code {name, address[, ssh_port][, port_base][, port_span]}}; the registry is updated from it (hosts
 * keep their configured SSH port and port base when the output names none). Lowest precedence: a sandbox
 * provisioner takes over the sandbox environments.
 */
@Component
@Order(Ordered.LOWEST_PRECEDENCE)
public class RegistryFleetProvisioner implements FleetProvisioner {
    private final Environments environments;

    public RegistryFleetProvisioner(Environments environments) {
        this.environments = environments;
    }

    @Override
    public FleetChange applyHostCount(String environment, Map<String, Object> outputs) {
        Environment env = environments.get(environment);
        Object raw = outputs.get("hosts");
        if (!(raw instanceof List<?> list)) {
            throw new IllegalStateException("the Terraform root of " + environment + " has no 'hosts' output (a list"
                    + " of {name, address}); add it to outputs.tf so opsflow knows the fleet");
        }
        List<HostConfig> hosts = new ArrayList<>();
        for (Object o : list) {
            if (!(o instanceof Map<?, ?> h) || !(h.get("name") instanceof String name)
                    || !(h.get("address") instanceof String address)) {
                throw new IllegalStateException("Terraform output 'hosts' of " + environment
                        + " must be a list of objects with string name and address, got " + o);
            }
            if (!name.matches("[a-z0-9][a-z0-9.-]{0,62}") || !address.matches("[A-Za-z0-9.:-]{1,253}")) {
                throw new IllegalStateException("Terraform output 'hosts' of " + environment
                        + " has an invalid host name or address: " + name + " / " + address);
            }
            HostConfig existing = env.host(name).orElse(null);
            Integer sshPort = h.get("ssh_port") instanceof Number n ? n.intValue()
                    : existing != null ? existing.sshPort() : null;
            int portBase = h.get("port_base") instanceof Number n ? n.intValue()
                    : existing != null ? existing.portBase() : new EnvironmentsProperties.HostSpec().getPortBase();
            Integer portSpan = h.get("port_span") instanceof Number n ? Integer.valueOf(n.intValue())
                    : existing != null ? existing.portSpan() : null;
            hosts.add(new HostConfig(name, address, sshPort, portBase, portSpan));
        }
        Set<String> before = env.hosts().stream().map(HostConfig::name).collect(Collectors.toSet());
        Set<String> after = hosts.stream().map(HostConfig::name).collect(Collectors.toSet());
        environments.updateHosts(environment, hosts);
        return new FleetChange(hosts.stream().map(HostConfig::name).toList(),
                hosts.stream().map(HostConfig::name).filter(n -> !before.contains(n)).toList(),
                env.hosts().stream().map(HostConfig::name).filter(n -> !after.contains(n)).toList());
    }
}
