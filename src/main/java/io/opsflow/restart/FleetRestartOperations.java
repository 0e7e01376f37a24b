package io.opsflow.restart;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.springframework.stereotype.Component;

import io.opsflow.fleet.Backend;
import io.opsflow.fleet.Fleet;
import io.opsflow.fleet.FleetScope;
import io.opsflow.fleet.HostInstance;
import io.opsflow.fleet.ServiceResult;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.ssh.SshResult;

/**
 * {@link RestartOperations} through the {@link Fleet} client:
 * <ul>
 * <li>services of a host: the application instances {@code inventory.sh} finds that should run (their desired state
 * is running), then {@code opsflow.restart.proxy-units}, then (only with includeDatabase)
 * {@code opsflow.restart.database-units};</li>
 * <li>drain/undrain: every instance of the host that is a backend of its application's pool is drained, then the
 * host waits until none has a request in flight, at most {@code opsflow.restart.drain-wait} for the host (a fixed
 * wait of that length when the load balancer does not count in-flight requests); undrain waits until the load
 * balancer sees each healthy;</li>
 * <li>restart: {@code service.sh restart} per instance (waits healthy), then {@code sudo -n systemctl restart <unit>}
 * and {@code systemctl is-active} per unit;</li>
 * <li>probe: {@code inventory.sh} with health probes, {@code systemctl is-active} per unit.</li>
 * </ul>
 */
@Component
class FleetRestartOperations implements RestartOperations {
    private final Fleet fleet;
    private final RestartProperties props;

    FleetRestartOperations(Fleet fleet, RestartProperties props) {
        this.fleet = fleet;
        this.props = props;
    }

    private FleetScope fleet(String environment, StepLog log) {
        return fleet.in(environment, props.getStepTimeout(), log);
    }

    @Override
    public int parallelism(String environment) {
        return Math.max(1, fleet.environment(environment).parallelism());
    }

    @Override
    public List<HostServices> inventory(String environment, boolean includeDatabase, StepLog log) {
        Map<String, List<HostInstance>> inv = fleet(environment, log).inventory(false);
        List<HostServices> out = new ArrayList<>();
        inv.forEach((host, instances) -> {
            List<String> services = new ArrayList<>();
            instances.stream().filter(HostInstance::wanted).forEach(i -> services.add("application " + i.label()));
            props.getProxyUnits().forEach(u -> services.add("proxy " + u));
            if (includeDatabase) {
                props.getDatabaseUnits().forEach(u -> services.add("database " + u));
            }
            out.add(new HostServices(host, services));
        });
        return out;
    }

    @Override
    public void drainHost(String environment, String host, StepLog log) {
        FleetScope f = fleet(environment, log);
        f.drain(host, wanted(f, host, false), props.getDrainWait());
    }

    @Override
    public HostState restartHost(String environment, String host, boolean includeDatabase, StepLog log) {
        FleetScope f = fleet(environment, log);
        List<String> problems = new ArrayList<>();
        List<String> done = new ArrayList<>();
        for (HostInstance i : wanted(f, host, false)) {
            ServiceResult r = f.restart(host, i.app(), i.instance(), props.getHealthTimeout());
            if (r.ok()) {
                done.add(i.label());
            } else {
                problems.add(i.label() + ": " + r.error());
            }
        }
        if (problems.isEmpty()) {
            for (String unit : units(includeDatabase)) {
                SshResult r = f.restartUnit(host, unit);
                if (!r.succeeded() || !f.unitActive(host, unit)) {
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
        FleetScope f = fleet(environment, log);
        List<String> problems = new ArrayList<>();
        List<String> fine = new ArrayList<>();
        for (HostInstance i : wanted(f, host, true)) {
            if (!i.running()) {
                problems.add(i.label() + " is " + i.state());
            } else if (!Boolean.TRUE.equals(i.healthy())) {
                problems.add(i.label() + " runs but is not healthy");
            } else {
                fine.add(i.label());
            }
        }
        for (String unit : units(includeDatabase)) {
            if (f.unitActive(host, unit)) {
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
        FleetScope f = fleet(environment, log);
        List<String> unhealthy = new ArrayList<>();
        for (HostInstance i : wanted(f, host, false)) {
            Backend b = f.undrain(host, i.app(), i.instance(), props.getHealthTimeout());
            if (b != null && !b.healthy()) {
                unhealthy.add(i.label());
            }
        }
        if (!unhealthy.isEmpty()) {
            throw new IllegalStateException(host + ": undrained, but the load balancer does not see " + unhealthy
                    + " healthy after " + props.getHealthTimeout() + "; check the instances, then retry this job");
        }
    }

    /** The host's instances that should be running (inventory.sh, with health probes when asked). */
    private static List<HostInstance> wanted(FleetScope f, String host, boolean health) {
        return f.inventory(host, health).stream().filter(HostInstance::wanted).toList();
    }

    private List<String> units(boolean includeDatabase) {
        List<String> units = new ArrayList<>(props.getProxyUnits());
        if (includeDatabase) {
            units.addAll(props.getDatabaseUnits());
        }
        return units;
    }
}
