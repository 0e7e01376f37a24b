package io.opsflow.scale;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.opsflow.environments.HostConfig;

/**
 * Decides which instances to add or remove to reach a target count. Pure: no engine, no hosts.
 * <ul>
 * <li>Below one instance, from zero instances, or past capacity (hosts x max instances per host): refused with the
 * reason. Scaling never provisions hosts by itself: provision-infrastructure does that (the refusal says so).</li>
 * <li>Up: each new instance goes to the host with the fewest instances of the application that still has room;
 * it is named {@code i<n>} with the smallest n unused in the environment, so every instance's name is unique across
 * hosts (the load balancer check identifies instances by the name {@code /version} reports), and whose port fits on
 * that host ({@link NameFits}: not held by an instance of another application, within the host's port block).</li>
 * <li>Down: scale instances ({@code i<n>}, highest n first) go before instances placed by releases (blue, green),
 * and always from the host that has the most instances.</li>
 * </ul>
 */
public final class ScalePlanner {
    /** Scale instance names go up to i999 (port offsets are 20 + app base + n). */
    public static final int MAX_SCALE_INDEX = 999;

    /** Whether instance {@code i<n>} may be placed on a host: null when it may, else why not (e.g. its port). */
    @FunctionalInterface
    public interface NameFits {
        NameFits ANY = (host, instance) -> null;

        String refusal(String host, String instance);
    }

    private ScalePlanner() {
    }

    /** {@link #plan(String, List, List, int, int, NameFits)} where every name fits every host. */
    public static ScalePlan plan(String application, List<HostConfig> hosts, List<AppInstance> current, int target,
                                 int maxPerHost) {
        return plan(application, hosts, current, target, maxPerHost, NameFits.ANY);
    }

    public static ScalePlan plan(String application, List<HostConfig> hosts, List<AppInstance> current, int target,
                                 int maxPerHost, NameFits fits) {
        int previous = current.size();
        int capacity = hosts.size() * maxPerHost;
        if (target < 1) {
            return ScalePlan.refused(previous, target, capacity, "instances: scaling " + application + " to " + target
                    + " instance(s) is refused: at least 1 instance must keep serving");
        }
        if (previous == 0) {
            return ScalePlan.refused(previous, target, capacity, "no instance of " + application
                    + " is registered behind the load balancer: deploy it first (deploy-application), then scale");
        }
        if (target > capacity) {
            return ScalePlan.refused(previous, target, capacity, "instances: " + target + " instance(s) of "
                    + application + " exceed the capacity of " + hosts.size() + " host(s) x " + maxPerHost
                    + " per host = " + capacity + "; provision more hosts first (provision-infrastructure, e.g. a "
                    + "larger hostCount) or raise opsflow.scale.max-instances-per-host");
        }
        if (target == previous) {
            return new ScalePlan(ScalePlan.Direction.NONE, previous, target, capacity, List.of(), List.of(), null);
        }
        Map<String, Integer> perHost = new LinkedHashMap<>();
        hosts.forEach(h -> perHost.put(h.name(), 0));
        for (AppInstance i : current) {
            perHost.merge(i.host(), 1, Integer::sum);
        }
        if (target > previous) {
            Set<String> usedNames = new HashSet<>();
            current.forEach(i -> usedNames.add(i.instance()));
            List<Placement> add = new ArrayList<>();
            for (int k = 0; k < target - previous; k++) {
                List<String> withRoom = perHost.entrySet().stream()
                        .filter(e -> hosts.stream().anyMatch(h -> h.name().equals(e.getKey())))
                        .filter(e -> e.getValue() < maxPerHost)
                        .sorted(Map.Entry.comparingByValue()).map(Map.Entry::getKey).toList();
                if (withRoom.isEmpty()) {
                    // hosts outside the configuration (or over-full hosts) ate the capacity
                    return ScalePlan.refused(previous, target, capacity, "instances: no host has room for another "
                            + "instance of " + application + " (max " + maxPerHost + " per host, now " + perHost
                            + "); provision more hosts or raise opsflow.scale.max-instances-per-host");
                }
                Placement next = null;
                String misfit = null;
                for (String host : withRoom) { // the emptiest host first; the next one when no name fits on it
                    for (int n = 1; n <= MAX_SCALE_INDEX && next == null; n++) {
                        if (!usedNames.contains("i" + n)) {
                            String why = fits.refusal(host, "i" + n);
                            if (why == null) {
                                next = new Placement(host, "i" + n);
                            } else {
                                misfit = why;
                            }
                        }
                    }
                    if (next != null) {
                        break;
                    }
                }
                if (next == null) {
                    return ScalePlan.refused(previous, target, capacity, "instances: no instance name i1..i"
                            + MAX_SCALE_INDEX + " is free in the environment and fits on a host with room "
                            + withRoom + (misfit == null ? "" : " (last tried: " + misfit + ")"));
                }
                usedNames.add(next.instance());
                perHost.merge(next.host(), 1, Integer::sum);
                add.add(next);
            }
            return new ScalePlan(ScalePlan.Direction.UP, previous, target, capacity, add, List.of(), null);
        }
        List<AppInstance> remaining = new ArrayList<>(current);
        List<Placement> remove = new ArrayList<>();
        for (int k = 0; k < previous - target; k++) {
            AppInstance victim = remaining.stream().max(Comparator
                    .comparing(AppInstance::isScaleInstance)
                    .thenComparing(i -> perHost.getOrDefault(i.host(), 0))
                    .thenComparing(i -> Placement.scaleIndex(i.instance()))
                    .thenComparing(AppInstance::key)).orElseThrow();
            remaining.remove(victim);
            perHost.merge(victim.host(), -1, Integer::sum);
            remove.add(new Placement(victim.host(), victim.instance()));
        }
        return new ScalePlan(ScalePlan.Direction.DOWN, previous, target, capacity, List.of(), remove, null);
    }
}
