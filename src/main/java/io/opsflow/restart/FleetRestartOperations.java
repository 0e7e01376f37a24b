package io.opsflow.restart;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.springframework.stereotype.Component;

import io.opsflow.platform.environments.Environment;
import io.opsflow.platform.environments.Environments;
import io.opsflow.platform.environments.HostConfig;
import io.opsflow.scale.FleetWorkers;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.ssh.HostTargets;
import io.opsflow.step.ssh.SshResult;
import io.opsflow.step.ssh.SshStep;
import io.opsflow.step.ssh.WorkerResult;

/**
 * {@link RestartOperations} over SSH with the workers/ scripts:
 * <ul>
 * <li>services of a host: the application instances {@code inventory.sh} finds that should run (their desired state
 * is running), then {@code opsflow.restart.proxy-units}, then (only with includeDatabase)
 * {@code opsflow.restart.database-units};</li>
 * <li>drain/undrain: {@code lb-ctl.sh drain|undrain} for each of the host's instances that is a backend of its
 * application's pool (undrain waits until the load balancer sees it healthy); after draining every instance, a wait
 * until none has a request in flight ({@code lb-ctl.sh drain --wait-idle}), at most
 * {@code opsflow.restart.drain-wait} for the host (a fixed wait of that length when the load balancer does not
 * count in-flight requests);</li>
 * <li>restart: {@code service.sh restart} per instance (waits healthy), then {@code sudo -n systemctl restart <unit>}
 * and {@code systemctl is-active} per unit;</li>
 * <li>probe: {@code inventory.sh} with health probes, {@code systemctl is-active} per unit.</li>
 * </ul>
 */
@Component
public class FleetRestartOperations implements RestartOperations {
    private final Environments environments;
    private final FleetWorkers workers;
    private final HostTargets targets;
    private final SshStep ssh;
    private final RestartProperties props;

    public FleetRestartOperations(Environments environments, FleetWorkers workers, HostTargets targets, SshStep ssh,
                                  RestartProperties props) {
        this.environments = environments;
        this.workers = workers;
        this.targets = targets;
        this.ssh = ssh;
        this.props = props;
    }

    @Override
    public List<HostServices> inventory(String environment, boolean includeDatabase, StepLog log) {
        Environment e = environments.get(environment);
        Map<String, List<FleetWorkers.HostInstance>> inv = workers.inventory(e, false, props.getStepTimeout(), log);
        List<HostServices> out = new ArrayList<>();
        for (HostConfig h : e.hosts()) {
            List<String> services = new ArrayList<>();
            inv.getOrDefault(h.name(), List.of()).stream().filter(FleetWorkers.HostInstance::wanted)
                    .forEach(i -> services.add("application " + i.label()));
            props.getProxyUnits().forEach(u -> services.add("proxy " + u));
            if (includeDatabase) {
                props.getDatabaseUnits().forEach(u -> services.add("database " + u));
            }
            out.add(new HostServices(h.name(), services));
        }
        return out;
    }

    @Override
    public void drainHost(String environment, String host, StepLog log) {
        Environment e = environments.get(environment);
        HostConfig h = FleetWorkers.host(e, host);
        // first take every instance of the host out of its pool, then wait for each to finish what it has: the waits
        // overlap, and drain-wait bounds the whole host, not each instance
        List<FleetWorkers.HostInstance> drained = new ArrayList<>();
        for (FleetWorkers.HostInstance i : instances(e, h, false, log)) {
            if (i.wanted() && workers.drain(e, h, i.app(), FleetWorkers.backendId(host, i.instance()), Duration.ZERO,
                    props.getStepTimeout(), log) != null) {
                drained.add(i);
            }
        }
        if (drained.isEmpty() || props.getDrainWait().isZero()) {
            return;
        }
        long deadline = System.nanoTime() + props.getDrainWait().toNanos();
        boolean counted = true;
        for (FleetWorkers.HostInstance i : drained) {
            Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
            FleetWorkers.Drained d = workers.drain(e, h, i.app(), FleetWorkers.backendId(host, i.instance()),
                    left.isZero() ? Duration.ofSeconds(1) : left, props.getStepTimeout(), log);
            counted &= d != null && d.idle() != null;
        }
        if (!counted) {
            Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
            log.info("drained " + host + "; the load balancer does not count in-flight requests: waiting " + left);
            sleep(left);
        }
    }

    @Override
    public HostState restartHost(String environment, String host, boolean includeDatabase, StepLog log) {
        Environment e = environments.get(environment);
        HostConfig h = FleetWorkers.host(e, host);
        List<String> problems = new ArrayList<>();
        List<String> done = new ArrayList<>();
        for (FleetWorkers.HostInstance i : instances(e, h, false, log)) {
            if (!i.wanted()) {
                continue;
            }
            WorkerResult r = workers.run(e, h, "service.sh", List.of("--root", FleetWorkers.root(e), "--app", i.app(),
                    "--instance", i.instance(), "--health-timeout", FleetWorkers.seconds(props.getHealthTimeout()),
                    "restart"), props.getStepTimeout(), log);
            if (r.ok()) {
                done.add(i.label());
            } else if (r.exitCode() == 2) {
                FleetWorkers.require(h, "service.sh restart " + i.label(), r);
            } else {
                problems.add(i.label() + ": " + r.error());
            }
        }
        if (problems.isEmpty()) {
            for (String unit : units(includeDatabase)) {
                SshResult r = ssh.run(targets.target(e, h), List.of("sudo", "-n", "systemctl", "restart", unit),
                        props.getStepTimeout(), log);
                if (!r.succeeded() || !unitActive(e, h, unit, log)) {
                    problems.add(unit + ": systemctl restart exited " + r.exitCode() + " " + r.stderrTail().strip());
                } else {
                    done.add(unit);
                }
            }
        }
        return problems.isEmpty() ? new HostState(host, true, "restarted " + done)
                : new HostState(host, false, String.join("; ", problems));
    }

    @Override
    public HostState probeHost(String environment, String host, boolean includeDatabase, StepLog log) {
        Environment e = environments.get(environment);
        HostConfig h = FleetWorkers.host(e, host);
        List<String> problems = new ArrayList<>();
        List<String> fine = new ArrayList<>();
        for (FleetWorkers.HostInstance i : instances(e, h, true, log)) {
            if (!i.wanted()) {
                continue;
            }
            if (!i.running()) {
                problems.add(i.label() + " is " + i.state());
            } else if (!Boolean.TRUE.equals(i.healthy())) {
                problems.add(i.label() + " runs but is not healthy");
            } else {
                fine.add(i.label());
            }
        }
        for (String unit : units(includeDatabase)) {
            if (unitActive(e, h, unit, log)) {
                fine.add(unit);
            } else {
                problems.add(unit + " is not active");
            }
        }
        return problems.isEmpty() ? new HostState(host, true, "healthy " + fine)
                : new HostState(host, false, String.join("; ", problems));
    }

    @Override
    public void undrainHost(String environment, String host, StepLog log) {
        Environment e = environments.get(environment);
        HostConfig h = FleetWorkers.host(e, host);
        List<String> unhealthy = new ArrayList<>();
        for (FleetWorkers.HostInstance i : instances(e, h, false, log)) {
            if (!i.wanted()) {
                continue;
            }
            var r = workers.lb(e, h, i.app(), FleetWorkers.backendId(host, i.instance()),
                    List.of("--wait-healthy", FleetWorkers.seconds(props.getHealthTimeout())), "undrain", true,
                    props.getStepTimeout(), log);
            if (r != null && !r.path("healthy").asBoolean(false)) {
                unhealthy.add(i.label());
            }
        }
        if (!unhealthy.isEmpty()) {
            throw new IllegalStateException(host + ": undrained, but the load balancer does not see " + unhealthy
                    + " healthy after " + props.getHealthTimeout() + "; check the instances, then retry this job");
        }
    }

    private List<FleetWorkers.HostInstance> instances(Environment e, HostConfig h, boolean health, StepLog log) {
        return workers.inventory(e, h, health, props.getStepTimeout(), log);
    }

    private List<String> units(boolean includeDatabase) {
        List<String> units = new ArrayList<>(props.getProxyUnits());
        if (includeDatabase) {
            units.addAll(props.getDatabaseUnits());
        }
        return units;
    }

    private boolean unitActive(Environment e, HostConfig h, String unit, StepLog log) {
        return ssh.run(targets.target(e, h), List.of("systemctl", "is-active", "--quiet", unit), props.getStepTimeout(),
                log).succeeded();
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while draining", ex);
        }
    }
}
