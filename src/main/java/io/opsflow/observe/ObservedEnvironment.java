package io.opsflow.observe;

import java.util.List;

/**
 * What an environment really looks like right now, probed live (see {@link EnvironmentObserver}). Serialised as the
 * body of {@code GET /api/environments/{name}}:
 * {@code {"name","requiresApproval","loadBalancer":{"url"},"hosts":[{"name","address","sshPort","reachable",
 * "instances":[{"application","version","healthy","url","color",...}]}],...}}.
 */
public record ObservedEnvironment(String name, boolean requiresApproval, LoadBalancer loadBalancer,
                                  List<Host> hosts, String observedAt) {

    public ObservedEnvironment {
        hosts = List.copyOf(hosts);
    }

    public record LoadBalancer(String url) {
    }

    /**
     * One host. {@code reachable}: an authenticated SSH login (host key verified) ran {@code true}. {@code error}
     * says why the host is unreachable or its instances could not be listed (null when all is fine).
     */
    public record Host(String name, String address, int sshPort, boolean reachable, String error,
                       List<Instance> instances) {
        public Host {
            instances = List.copyOf(instances);
        }
    }

    /**
     * One application instance on a host: {@code color} is the instance name for blue/green instances, else null;
     * {@code healthy}: its health path answered 2xx just now (false when stopped); {@code state} running|stopped.
     */
    public record Instance(String application, String instance, String version, boolean healthy, String url,
                           String color, String state, Integer port) {
    }
}
