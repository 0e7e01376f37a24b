package io.opsflow.sandbox;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;

import io.opsflow.fleet.Fleet;
import io.opsflow.fleet.FleetScope;
import io.opsflow.fleet.HostInstance;
import io.opsflow.provision.FleetProvisioner;
import io.opsflow.step.exec.StepLogs;

/**
 * {@link FleetProvisioner} for the sandbox environments: the sandbox Terraform roots only record hosts
 * ({@code terraform_data}), so after an apply the fleet is made to match the {@code hosts} output by count: missing
 * hosts are started ({@link SandboxFleet#addHost}: SSH server, known_hosts, inventory, registry), surplus hosts go
 * highest number first, as Terraform's {@code count} drops trailing indexes (their application instances are
 * deregistered from the load balancer and stopped first, then {@link SandboxFleet#removeHost}). Only active when the
 * sandbox fleet runs; real environments fall through to {@code provision.RegistryFleetProvisioner}. A bean only where
 * the sandbox is: {@link SandboxConfiguration} imports it, so it never exists in the {@code prod} profile.
 */
@Order(Ordered.HIGHEST_PRECEDENCE)
class SandboxFleetProvisioner implements FleetProvisioner {
    private static final Logger LOG = LoggerFactory.getLogger(SandboxFleetProvisioner.class);
    private static final Duration STEP_TIMEOUT = Duration.ofMinutes(1);

    private final ObjectProvider<SandboxFleet> fleet;
    private final ObjectProvider<Fleet> client;

    SandboxFleetProvisioner(ObjectProvider<SandboxFleet> fleet, ObjectProvider<Fleet> client) {
        this.fleet = fleet;
        this.client = client;
    }

    @Override
    public boolean handles(String environment) {
        SandboxFleet f = fleet.getIfAvailable();
        return f != null && f.isRunning() && f.environmentNames().contains(environment);
    }

    @Override
    public FleetChange applyHostCount(String environment, Map<String, Object> outputs) {
        SandboxFleet f = fleet.getObject();
        int desired = desiredCount(environment, outputs);
        List<String> before = names(f.hosts(environment));
        List<String> added = new ArrayList<>();
        List<String> removed = new ArrayList<>();
        for (int i = before.size(); i < desired; i++) {
            added.add(f.addHost(environment).name());
        }
        if (before.size() > desired) {
            List<SandboxFleet.FleetHost> surplus = new ArrayList<>(f.hosts(environment));
            surplus.sort(Comparator.comparingInt((SandboxFleet.FleetHost h) -> number(h.name())).reversed());
            for (SandboxFleet.FleetHost h : surplus.subList(0, before.size() - desired)) {
                retire(environment, h.name());
                f.removeHost(environment, h.name());
                removed.add(h.name());
            }
        }
        List<String> after = names(f.hosts(environment));
        LOG.info("sandbox {}: Terraform wants {} host(s); added {}, removed {}; now {}", environment, desired, added,
                removed, after);
        return new FleetChange(after, added, removed);
    }

    /** {@code host_count} output, else the length of the {@code hosts} output. */
    static int desiredCount(String environment, Map<String, Object> outputs) {
        Object count = outputs.get("host_count");
        if (count instanceof Number n) {
            return n.intValue();
        }
        if (outputs.get("hosts") instanceof List<?> l) {
            return l.size();
        }
        if (outputs.isEmpty()) {
            return 0; // destroyed: a root without state has no outputs
        }
        throw new IllegalStateException("the sandbox Terraform root of " + environment + " has neither a host_count "
                + "nor a hosts output; got " + outputs.keySet());
    }

    /** Deregisters and stops the host's application instances before the host goes away; best effort. */
    private void retire(String environment, String host) {
        Fleet hosts = client.getIfAvailable();
        if (hosts == null) {
            return;
        }
        try (var log = StepLogs.noop()) {
            FleetScope f = hosts.in(environment, STEP_TIMEOUT, log);
            if (f.environment().host(host).isEmpty()) {
                return;
            }
            for (HostInstance i : f.inventory(host, false)) {
                f.removeBackend(host, i.app(), i.instance());
                try {
                    f.stop(host, i.app(), i.instance());
                } catch (RuntimeException ex) {
                    LOG.warn("sandbox {}: could not stop {} on {}: {}", environment, i.label(), host, ex.getMessage());
                }
            }
        } catch (RuntimeException ex) {
            LOG.warn("sandbox {}: could not stop the instances on {} before removing it: {}", environment, host,
                    ex.getMessage());
        }
    }

    private static List<String> names(List<SandboxFleet.FleetHost> hosts) {
        return hosts.stream().map(SandboxFleet.FleetHost::name).toList();
    }

    private static int number(String name) {
        String suffix = name.substring(name.lastIndexOf('-') + 1);
        return suffix.matches("[0-9]{1,6}") ? Integer.parseInt(suffix) : 0;
    }
}
