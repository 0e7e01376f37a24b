package io.opsflow.observe;

import java.util.List;

/**
 * What an environment really looks like right now, probed live (see {@link EnvironmentObserver}). Serialised as the
 * body of {@code GET /api/environments/{name}}:
 * {@code {"name","requiresApproval","loadBalancer":{"url"},"hosts":[{"name","address","sshPort","reachable",
 * "instances":[{"application","version","healthy","url","color",...}]}],...}}.
 * <p>
 * Each instance also says how the load balancer sees it ({@code "loadBalancer":{"state","healthy","inFlight"}}, null
 * when it is not a backend of its application's pool), read from the load balancer's admin API in the same call;
 * when that API cannot be read, {@code loadBalancer.error} says why and the instances' {@code loadBalancer} is null.
 */
public record ObservedEnvironment(String name, boolean requiresApproval, LoadBalancer loadBalancer,
                                  List<Host> hosts, String observedAt) {

    public ObservedEnvironment {
        hosts = List.copyOf(hosts);
    }

    /** {@code error}: why the admin API could not be read (null when it was, or when none is configured). */
    public record LoadBalancer(String url, String error) {
    }

    /**
     * An instance as its load balancer pool sees it: {@code state} active|drained, {@code healthy} by the load
     * balancer's own checks, {@code inFlight} requests it is serving now (null when the load balancer does not count).
     */
    public record Backend(String id, String state, boolean healthy, Integer inFlight) {
    }

    /**
     * One host. {@code reachable}: an authenticated SSH login (host key verified) ran {@code true}. {@code error}
     * says why the host is unreachable or its instances could not be listed (null when all is fine); in the API
     * answer ({@link EnvironmentObserver#observe}) without server paths.
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
                           String color, String state, Integer port, Backend loadBalancer) {
    }
}
