package io.opsflow.release;

import java.util.List;
import java.util.Set;

import io.opsflow.step.exec.StepLog;

/**
 * What the release and deploy runbooks do to a fleet, as typed operations. The delegates are thin over this port; the
 * real implementation ({@link FleetReleaseOperations}) drives the hosts and the load balancer through the fleet client
 * ({@code io.opsflow.fleet}) and Ansible; process tests mock it. Every method writes what it does to {@code log}, the
 * step log of the activity that calls it.
 *
 * <p>Failure contract: a method returns normally when the operation was carried out (even when the application
 * turned out unhealthy: that is in the returned result) and throws a RuntimeException for technical failures (host
 * unreachable, authentication, artifact missing, script error): the engine retries and then raises an incident.
 * Every mutating method is idempotent, so a retried step is safe.
 */
public interface ReleaseOperations {

    /** Hosts of the environment and every instance of the application on them, probed live over SSH; LB colour. */
    FleetState observe(String environment, String application, StepLog log);

    /**
     * How many hosts of a batch a step works on at once: the environment's {@code parallelism}. The default (one
     * at a time) is what a double that does not care gets.
     */
    default int parallelism(String environment) {
        return 1;
    }

    /** Batches of at most {@code batchSize} hosts, in host order. */
    default List<List<String>> planBatches(List<String> hosts, int batchSize) {
        return ReleasePlan.batches(hosts, batchSize);
    }

    /**
     * {@code ansible-playbook deploy-app.yml --check --diff} for the planned instance on each target host: what the
     * deploy playbook would change, as evidence for the approver. Changes nothing.
     */
    CheckDiff checkDiff(String environment, String application, String version, List<PlanEntry> targets, StepLog log);

    /**
     * {@code release-activate.sh --check} for the planned instance on each target host, with the arguments
     * {@link #activate} will pass: what the release itself would do, host by host, as evidence for the approver of
     * release-version (deploy-application acts through the deploy playbook, so its evidence is {@link #checkDiff}).
     * Changes nothing.
     */
    CheckDiff dryRun(String environment, String application, String version, List<PlanEntry> targets, StepLog log);

    /**
     * Installs the version on the host if missing, points the instance's {@code current} at it, (re)starts it and
     * waits for it to answer. Returns what ran before and whether it came up healthy.
     */
    Activation activate(String environment, String application, String host, String instance, String version,
                        StepLog log);

    /** Puts the previous version back on the instance and restarts it (the inverse of {@link #activate}). */
    void restore(String environment, String application, String host, String instance, String previousVersion,
                 StepLog log);

    /** The instance's own health endpoint (directly on its port) answers healthy and reports the expected version. */
    HealthResult checkInstance(String environment, String application, String host, String instance,
                               String expectedVersion, StepLog log);

    /** Requests through the environment's load balancer are healthy and answered only by the accepted versions. */
    HealthResult checkThroughLoadBalancer(String environment, String application, Set<String> acceptedVersions,
                                          StepLog log);

    /** Takes the instance's backend out of the load balancer's rotation (in-flight requests finish). */
    void drain(String environment, String application, String host, String instance, StepLog log);

    /** Puts the instance's backend back into rotation. */
    void undrain(String environment, String application, String host, String instance, StepLog log);

    /** Adds (or updates) the instance as a backend of the application's pool with the given colour. */
    void registerBackend(String environment, String application, String host, String instance, String colour,
                         StepLog log);

    /** Removes the instance's backend from the application's pool (no-op when absent). */
    void deregisterBackend(String environment, String application, String host, String instance, StepLog log);

    /** Routes the pool's traffic only to backends of this colour. */
    void switchColour(String environment, String application, String colour, StepLog log);

    /** {@code ansible-playbook configure-host.yml} on the hosts (users, directories, packages the app needs). */
    void configureHosts(String environment, String application, List<String> hosts, StepLog log);

    /** Installs the version's release and the instance's configuration on the host, without starting it. */
    void installRelease(String environment, String application, String version, String host, String instance,
                        StepLog log);

    /** Starts the instance (no-op when running). */
    void startInstance(String environment, String application, String host, String instance, StepLog log);

    /** Stops the instance (no-op when stopped or absent). */
    void stopInstance(String environment, String application, String host, String instance, StepLog log);

    /**
     * Stops the instance and removes it, and the release when no other instance uses it (compensation of a deploy).
     * With {@code version}, only when the instance runs that version (otherwise a later change owns it: no-op).
     */
    void removeInstance(String environment, String application, String host, String instance, String version,
                        StepLog log);
}
