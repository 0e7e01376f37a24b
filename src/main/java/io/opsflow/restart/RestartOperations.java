package io.opsflow.restart;

import java.util.List;

import io.opsflow.step.exec.StepLog;

/**
 * What restart-platform does to hosts; the delegates are thin adapters onto this port. The real implementation
 * ({@link FleetRestartOperations}) runs workers/ scripts over SSH and drives the load balancer; process tests mock it.
 * <p>
 * Dependency order on a host: application instances first, then the proxy units, the database units last and only
 * when asked ({@code includeDatabase}).
 */
public interface RestartOperations {

    /** How many hosts of a batch a step works on at once: the environment's {@code parallelism} (default one). */
    default int parallelism(String environment) {
        return 1;
    }

    /** The environment's hosts (configuration order) and, per host, the services a restart touches, in order. */
    List<HostServices> inventory(String environment, boolean includeDatabase, StepLog log);

    /** Takes every backend of the host out of the load balancer (drain) and waits for in-flight requests. */
    void drainHost(String environment, String host, StepLog log);

    /**
     * Restarts the host's services in dependency order, each waiting healthy before the next. A service that does
     * not come back healthy is a result ({@code healthy=false} with the detail), not an exception; an unreachable
     * host throws.
     */
    HostState restartHost(String environment, String host, boolean includeDatabase, StepLog log);

    /** The host's live state: reachable, and every service running and healthy. Changes nothing. */
    HostState probeHost(String environment, String host, boolean includeDatabase, StepLog log);

    /** Returns the host's backends to the load balancer and waits until it sees them healthy. */
    void undrainHost(String environment, String host, StepLog log);

    record HostServices(String host, List<String> services) {
        public HostServices {
            services = List.copyOf(services);
        }
    }

    record HostState(String host, boolean healthy, String detail) {
    }
}
