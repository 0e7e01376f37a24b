package io.opsflow.scale;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.springframework.stereotype.Component;

import io.opsflow.fleet.Activated;
import io.opsflow.fleet.Backend;
import io.opsflow.fleet.Fleet;
import io.opsflow.fleet.FleetScope;
import io.opsflow.fleet.HostInstance;
import io.opsflow.fleet.TrafficAnswer;
import io.opsflow.step.exec.StepLog;

/**
 * {@link ScaleOperations} on real (and sandbox) hosts through the {@link Fleet} client:
 * <ul>
 * <li>inspect: {@code inventory.sh} on every host, then {@code lb-ctl.sh status} per running instance of the
 * application: the pool is what is registered (of the active colour when the pool has one);</li>
 * <li>add: {@code release-activate.sh} (installs the release from the artifact store when missing, starts the
 * instance on {@code Environments.instancePort(host, app, "i<n>")}, waits healthy), then {@code lb-ctl.sh add
 * --wait-healthy};</li>
 * <li>remove: drain (no new requests; waits until the instance has finished the ones in flight, at most
 * {@code opsflow.scale.drain-wait}, a fixed wait of that length when the load balancer does not count them),
 * {@code service.sh stop}, {@code lb-ctl.sh remove};</li>
 * <li>verify: GET {@code <load balancer>/<app>/version} in a loop, counting the {@code "instance"} field of the
 * answers.</li>
 * </ul>
 */
@Component
class FleetScaleOperations implements ScaleOperations {
    private final Fleet fleet;
    private final ScaleProperties props;

    FleetScaleOperations(Fleet fleet, ScaleProperties props) {
        this.fleet = fleet;
        this.props = props;
    }

    @Override
    public PoolState inspect(String environment, String application, StepLog log) {
        FleetScope f = fleet.in(environment, props.getStepTimeout(), log);
        List<AppInstance> registered = new ArrayList<>();
        List<String> versions = new ArrayList<>();
        String active = null;
        Map<String, Map<Integer, String>> ports = new TreeMap<>();
        for (List<HostInstance> onHost : f.inventory(false).values()) {
            for (HostInstance i : onHost) {
                if (i.port() != null) {
                    ports.computeIfAbsent(i.host(), h -> new TreeMap<>()).put(i.port(), i.app() + "/" + i.instance());
                }
                if (!application.equals(i.app()) || !i.running()) {
                    continue;
                }
                Backend st = f.backend(i.host(), application, i.instance());
                if (!st.present()) {
                    continue; // running but not behind the load balancer (e.g. an idle blue-green colour)
                }
                if (st.active() != null && !st.active().isEmpty()) {
                    active = st.active();
                }
                registered.add(new AppInstance(i.host(), i.instance(), st.id(), st.url(), st.color(), st.state(),
                        st.healthy()));
                versions.add(i.version());
            }
        }
        String activeColour = active;
        List<AppInstance> serving = activeColour == null ? registered
                : registered.stream().filter(a -> activeColour.equals(a.color())).toList();
        List<String> servingVersions = new ArrayList<>();
        for (int k = 0; k < registered.size(); k++) {
            if (serving.contains(registered.get(k))) {
                servingVersions.add(versions.get(k));
            }
        }
        Set<String> distinct = new LinkedHashSet<>(servingVersions);
        String version = distinct.size() == 1 && !distinct.contains(null) ? distinct.iterator().next() : null;
        Set<String> colours = new LinkedHashSet<>();
        serving.forEach(a -> colours.add(a.color()));
        String colour = activeColour != null ? activeColour : colours.size() == 1 ? colours.iterator().next() : null;
        log.info(application + " in " + environment + ": " + serving.size() + " instance(s) serving "
                + (version == null ? "versions " + distinct : version) + (colour == null ? "" : ", colour " + colour)
                + ": " + serving.stream().map(AppInstance::key).toList());
        return new PoolState(serving, version, colour, ports);
    }

    @Override
    public AddResult addInstance(String environment, String application, Placement placement, String version,
                                 String color, StepLog log) {
        FleetScope f = fleet.in(environment, props.getStepTimeout(), log);
        // the artifact store publishes <artifact>.sha256 for every artifact (docs/contracts.md): a new instance
        // installs only what the release verified
        Activated a = f.activate(placement.host(), application, placement.instance(), version,
                props.getHealthTimeout(), true);
        if (!a.healthy()) {
            return new AddResult(false, a.error());
        }
        Backend b = f.addBackend(placement.host(), application, placement.instance(), color, props.getHealthTimeout());
        if (!b.healthy()) {
            return new AddResult(false, "the load balancer does not see " + placement.key() + " healthy after "
                    + Math.max(1, props.getHealthTimeout().toSeconds()) + "s");
        }
        return new AddResult(true, application + " " + version + " on " + f.environment()
                .requireHost(placement.host()).address() + ":" + a.port() + ", registered as " + b.id());
    }

    @Override
    public void removeInstance(String environment, String application, Placement placement, StepLog log) {
        FleetScope f = fleet.in(environment, props.getStepTimeout(), log);
        f.drain(placement.host(), application, placement.instance(), props.getDrainWait());
        f.stop(placement.host(), application, placement.instance());
        f.removeBackend(placement.host(), application, placement.instance());
    }

    @Override
    public Distribution verifyDistribution(String environment, String application, Set<String> mustAnswer,
                                           Set<String> mustNotAnswer, StepLog log) {
        FleetScope f = fleet.in(environment, props.getStepTimeout(), log);
        String uri = f.loadBalancerUri(application, "version").toString();
        Map<String, Integer> answered = new TreeMap<>();
        int requests = 0;
        int failures = 0;
        List<String> failureSamples = new ArrayList<>();
        int minRequests = Math.max(props.getVerifyMinRequests(), 4 * (mustAnswer.size() + mustNotAnswer.size()));
        long deadline = System.nanoTime() + props.getVerifyTimeout().toNanos();
        while (requests < props.getVerifyMaxRequests() && System.nanoTime() < deadline) {
            requests++;
            TrafficAnswer a = f.viaLoadBalancer(application, "version");
            String instance = a.status() == 200 ? a.instance() : null;
            if (instance != null) {
                answered.merge(instance, 1, Integer::sum);
            } else {
                failures++;
                sample(failureSamples, !a.answered() ? a.error() : a.status() != 200 ? "HTTP " + a.status()
                        : "HTTP 200, not JSON");
            }
            if (requests >= minRequests && answered.keySet().containsAll(mustAnswer)) {
                break;
            }
        }
        List<String> missing = mustAnswer.stream().filter(i -> !answered.containsKey(i)).toList();
        List<String> unexpected = mustNotAnswer.stream().filter(answered::containsKey).toList();
        boolean ok = failures == 0 && missing.isEmpty() && unexpected.isEmpty();
        StringBuilder detail = new StringBuilder(requests + " request(s) to " + uri + ", answers per instance "
                + answered);
        if (failures > 0) {
            detail.append("; ").append(failures).append(" failed ").append(failureSamples);
        }
        if (!missing.isEmpty()) {
            detail.append("; never answered: ").append(missing);
        }
        if (!unexpected.isEmpty()) {
            detail.append("; removed instance(s) still answering: ").append(unexpected);
        }
        log.info("distribution check: " + detail);
        return new Distribution(ok, requests, failures, answered, detail.toString());
    }

    private static void sample(List<String> samples, String s) {
        if (samples.size() < 3) {
            samples.add(s);
        }
    }
}
