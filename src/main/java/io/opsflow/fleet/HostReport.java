package io.opsflow.fleet;

import java.util.List;

/**
 * One host probed live: {@code reachable} means an authenticated SSH login (host key verified) ran {@code true};
 * {@code error} says why the host is unreachable or its instances could not be listed (null when all is fine);
 * {@code instances} as inventory.sh reports them, each running one probed for health.
 */
public record HostReport(String host, boolean reachable, String error, List<HostInstance> instances) {

    public HostReport {
        instances = List.copyOf(instances);
    }
}
