package io.opsflow.provision;

import java.util.List;
import java.util.Map;

/**
 * Makes an environment's fleet match what Terraform just applied. provision-infrastructure calls it after apply with
 * the root's outputs (for the sandbox roots: {@code hosts} = list of {@code {name, address, environment, index}} and
 * {@code host_count}); it starts/registers the hosts that appeared and stops/deregisters those that disappeared, so
 * they show up in (or vanish from) {@code Environments} and {@code GET /api/environments/{name}}.
 * <p>
 * Beans are consulted in {@link org.springframework.core.annotation.Order} order; the first whose
 * {@link #handles(String)} is true wins. {@link RegistryFleetProvisioner} (lowest precedence) handles real
 * infrastructure by updating the registry from the outputs. The sandbox wires an implementation over
 * {@code SandboxFleet} (add/remove simulated hosts) with a higher precedence for the sandbox environments.
 */
public interface FleetProvisioner {

    /** Whether this provisioner manages the environment's hosts. */
    default boolean handles(String environment) {
        return true;
    }

    /**
     * Brings the environment's hosts in line with Terraform's {@code outputs}. Idempotent (a retried job calls it
     * again with the same outputs).
     */
    FleetChange applyHostCount(String environment, Map<String, Object> outputs);

    /** The environment's hosts afterwards, and which appeared and which went away. */
    record FleetChange(List<String> hosts, List<String> added, List<String> removed) {
        public FleetChange {
            hosts = List.copyOf(hosts);
            added = List.copyOf(added);
            removed = List.copyOf(removed);
        }
    }
}
