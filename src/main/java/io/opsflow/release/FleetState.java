package io.opsflow.release;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.LinkedHashMap;

/**
 * What runs where, observed live: the environment's hosts (in configuration order), every instance of the application
 * on them, and the load balancer's active colour for the application's pool ({@code null} when the pool routes to
 * every healthy backend regardless of colour).
 */
public record FleetState(List<String> hosts, String activeColour, List<InstanceState> instances) {

    public FleetState {
        hosts = List.copyOf(hosts);
        instances = List.copyOf(instances);
    }

    public List<InstanceState> instancesOn(String host) {
        return instances.stream().filter(i -> i.host().equals(host)).toList();
    }

    public Optional<InstanceState> instance(String host, String instance) {
        return instances.stream().filter(i -> i.host().equals(host) && i.instance().equals(instance)).findFirst();
    }

    /**
     * The instance that serves traffic on a host: the one of the active colour when the pool has one; otherwise a
     * running instance ({@code blue} first, then by name); otherwise any installed instance (a crashed one a
     * release may repair).
     */
    public Optional<InstanceState> live(String host) {
        List<InstanceState> on = instancesOn(host);
        if (activeColour != null) {
            return on.stream().filter(i -> i.instance().equals(activeColour)).findFirst();
        }
        Comparator<InstanceState> blueFirst = Comparator.comparing((InstanceState i) -> !"blue".equals(i.instance()))
                .thenComparing(InstanceState::instance);
        return on.stream().filter(InstanceState::running).min(blueFirst)
                .or(() -> on.stream().min(blueFirst));
    }

    /** host → version of its live instance (null when the application is not on the host), in host order. */
    public Map<String, String> liveVersions() {
        Map<String, String> m = new LinkedHashMap<>();
        for (String h : hosts) {
            m.put(h, live(h).map(InstanceState::version).orElse(null));
        }
        return m;
    }

    public boolean deployedAnywhere() {
        return !instances.isEmpty();
    }
}
