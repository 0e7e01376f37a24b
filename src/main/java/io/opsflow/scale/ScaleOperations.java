package io.opsflow.scale;

import java.util.List;
import java.util.Map;
import java.util.Set;

import io.opsflow.step.exec.StepLog;

/**
 * What the scale-service runbook does to an environment; the delegates are thin adapters onto this port. The real
 * implementation ({@link FleetScaleOperations}) drives workers/ scripts over SSH and the load balancer; process tests
 * mock it.
 */
public interface ScaleOperations {

    /**
     * The application's instances behind the environment's load balancer (hosts resolved from backend addresses),
     * the version they serve and the color new instances must carry to get traffic. Changes nothing.
     */
    PoolState inspect(String environment, String application, StepLog log);

    /**
     * Starts {@code placement}'s instance with {@code version} (workers/release-activate.sh: install if missing,
     * switch, start, wait healthy), then registers it in the load balancer pool and waits until the load balancer
     * sees it healthy. Idempotent (compensation of a scale-down calls it for an instance that existed). An instance that does not become healthy is a modelled result ({@code healthy=false}, with
     * the reason), not an exception; unreachable hosts and broken scripts throw.
     */
    AddResult addInstance(String environment, String application, Placement placement, String version, String color,
                          StepLog log);

    /**
     * Drains the instance in the load balancer, waits for in-flight requests, stops it (service.sh) and deregisters
     * it. An instance that is already gone is fine (compensation calls this for instances that may never have come up).
     */
    void removeInstance(String environment, String application, Placement placement, StepLog log);

    /**
     * Sends requests through the load balancer to the application's {@code /version} until every instance named in
     * {@code mustAnswer} answered (or the request budget is spent). Any failed request, or an answer from an instance
     * named in {@code mustNotAnswer}, fails the check.
     */
    Distribution verifyDistribution(String environment, String application, Set<String> mustAnswer,
                                    Set<String> mustNotAnswer, StepLog log);

    /**
     * The serving instances of the application, their one version and colour (null when they differ), and every port
     * an instance of any application holds on each host ({@code host -> port -> "app/instance"}, running or stopped:
     * a stopped instance keeps its port for its next start).
     */
    record PoolState(List<AppInstance> instances, String version, String color,
                     Map<String, Map<Integer, String>> portsInUse) {
        public PoolState {
            instances = List.copyOf(instances);
            portsInUse = Map.copyOf(portsInUse);
        }

        public PoolState(List<AppInstance> instances, String version, String color) {
            this(instances, version, color, Map.of());
        }
    }

    record AddResult(boolean healthy, String detail) {
    }

    record Distribution(boolean ok, int requests, int failures, Map<String, Integer> answered, String detail) {
        public Distribution {
            answered = Map.copyOf(answered);
        }
    }
}
