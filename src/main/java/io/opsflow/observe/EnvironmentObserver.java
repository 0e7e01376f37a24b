package io.opsflow.observe;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.opsflow.fleet.FleetProbe;
import io.opsflow.fleet.HostInstance;
import io.opsflow.fleet.HostReport;
import io.opsflow.fleet.PoolBackend;
import io.opsflow.platform.api.EnvironmentStateProbe;
import io.opsflow.platform.api.ServerPaths;
import io.opsflow.environments.Environment;
import io.opsflow.environments.HostConfig;
import io.opsflow.step.ssh.SshConnections;
import io.opsflow.step.ssh.WorkerScripts;

/**
 * Probes an environment live, every host in parallel, through {@link FleetProbe}: can we log in over SSH (host key
 * verified, key auth, run {@code true}), and which application instances are there, which version each serves and
 * whether it is healthy right now ({@code workers/inventory.sh} on the host, which reads the instance directories and
 * GETs each running instance's health path), and how the environment's load balancer sees each instance
 * ({@code GET /_lb/pools} of its admin API). Nothing is remembered between calls.
 */
@Component
public class EnvironmentObserver implements EnvironmentStateProbe {
    private static final Logger LOG = LoggerFactory.getLogger(EnvironmentObserver.class);
    static final Duration HOST_TIMEOUT = Duration.ofSeconds(30);
    static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(20);
    static final Duration LB_TIMEOUT = Duration.ofSeconds(5);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final FleetProbe fleet;

    @Autowired
    public EnvironmentObserver(FleetProbe fleet) {
        this.fleet = fleet;
    }

    /** An observer over its own {@link FleetProbe} (for tests that build the fleet by hand). */
    public EnvironmentObserver(SshConnections connections, WorkerScripts workers) {
        this(new FleetProbe(connections, workers));
    }

    /**
     * The live state as the API serialises it (see {@link ObservedEnvironment} for the keys). Why a host or the load
     * balancer could not be read is said without server paths (a missing key file, a known_hosts file, a directory on
     * the host): the full reason goes to the log.
     */
    @Override
    public Map<String, Object> observe(Environment env) {
        return JSON.convertValue(withoutServerPaths(probe(env)), new TypeReference<LinkedHashMap<String, Object>>() {
        });
    }

    static ObservedEnvironment withoutServerPaths(ObservedEnvironment o) {
        List<ObservedEnvironment.Host> hosts = o.hosts().stream().map(h -> new ObservedEnvironment.Host(h.name(),
                h.address(), h.sshPort(), h.reachable(), shown(o.name() + "/" + h.name(), h.error()), h.instances()))
                .toList();
        ObservedEnvironment.LoadBalancer lb = o.loadBalancer() == null ? null : new ObservedEnvironment.LoadBalancer(
                o.loadBalancer().url(), shown(o.name() + " load balancer", o.loadBalancer().error()));
        return new ObservedEnvironment(o.name(), o.requiresApproval(), lb, hosts, o.observedAt());
    }

    private static String shown(String what, String error) {
        String redacted = ServerPaths.redact(error);
        if (error != null && !error.equals(redacted)) {
            LOG.info("observe {}: {}", what, error);
        }
        return redacted;
    }

    /** Probes every host of {@code env} now, in parallel. */
    public ObservedEnvironment probe(Environment env) {
        List<HostConfig> hosts = env.hosts();
        List<ObservedEnvironment.Host> observed = new ArrayList<>();
        if (!hosts.isEmpty()) {
            ExecutorService pool = Executors.newFixedThreadPool(Math.min(hosts.size(), 16), r -> {
                Thread t = new Thread(r, "observe-" + env.name());
                t.setDaemon(true);
                return t;
            });
            try {
                List<Future<ObservedEnvironment.Host>> futures = hosts.stream()
                        .map(h -> pool.submit(() -> observeHost(env, h))).toList();
                long deadline = System.nanoTime() + HOST_TIMEOUT.toNanos();
                for (int i = 0; i < hosts.size(); i++) {
                    HostConfig h = hosts.get(i);
                    try {
                        observed.add(futures.get(i).get(Math.max(1, deadline - System.nanoTime()),
                                TimeUnit.NANOSECONDS));
                    } catch (TimeoutException e) {
                        futures.get(i).cancel(true);
                        observed.add(unreachable(env, h, "no answer within " + HOST_TIMEOUT.toSeconds() + " s"));
                    } catch (ExecutionException e) {
                        observed.add(unreachable(env, h, String.valueOf(e.getCause().getMessage())));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException("interrupted while observing " + env.name(), e);
                    }
                }
            } finally {
                pool.shutdownNow();
            }
        }
        String lbUrl = env.loadBalancer() == null ? null : env.loadBalancer().url();
        String lbApi = env.loadBalancer() == null ? null : env.loadBalancer().apiUrl();
        String lbError = null;
        if (lbApi != null && !lbApi.isBlank()) {
            try {
                observed = withBackends(observed, fleet.pools(env, LB_TIMEOUT));
            } catch (RuntimeException e) {
                lbError = "cannot read the load balancer's pools at " + lbApi + ": " + e.getMessage();
            }
        }
        return new ObservedEnvironment(env.name(), env.requiresApproval(),
                new ObservedEnvironment.LoadBalancer(lbUrl, lbError), observed, Instant.now().toString());
    }

    /** The hosts with each instance's backend (pool = application, backend id = {@code <host>-<instance>}). */
    static List<ObservedEnvironment.Host> withBackends(List<ObservedEnvironment.Host> hosts,
                                                        Map<String, Map<String, PoolBackend>> pools) {
        List<ObservedEnvironment.Host> out = new ArrayList<>();
        for (ObservedEnvironment.Host h : hosts) {
            List<ObservedEnvironment.Instance> instances = new ArrayList<>();
            for (ObservedEnvironment.Instance i : h.instances()) {
                PoolBackend p = pools.getOrDefault(i.application(), Map.of())
                        .get(FleetProbe.backendId(h.name(), i.instance()));
                ObservedEnvironment.Backend b = p == null ? null
                        : new ObservedEnvironment.Backend(p.id(), p.state(), p.healthy(), p.inFlight());
                instances.add(new ObservedEnvironment.Instance(i.application(), i.instance(), i.version(),
                        i.healthy(), i.url(), i.color(), i.state(), i.port(), b));
            }
            out.add(new ObservedEnvironment.Host(h.name(), h.address(), h.sshPort(), h.reachable(), h.error(),
                    instances));
        }
        return out;
    }

    private static ObservedEnvironment.Host unreachable(Environment env, HostConfig h, String why) {
        return host(env, h, FleetProbe.unreachable(h, why));
    }

    ObservedEnvironment.Host observeHost(Environment env, HostConfig h) {
        return host(env, h, fleet.probe(env, h, COMMAND_TIMEOUT));
    }

    /** A probed host as the API shows it: {@code color} for blue/green instances, {@code url} where it listens. */
    private static ObservedEnvironment.Host host(Environment env, HostConfig h, HostReport r) {
        List<ObservedEnvironment.Instance> instances = new ArrayList<>();
        for (HostInstance i : r.instances()) {
            String url = i.port() == null ? null : "http://" + h.address() + ":" + i.port();
            String color = "blue".equals(i.instance()) || "green".equals(i.instance()) ? i.instance() : null;
            instances.add(new ObservedEnvironment.Instance(i.app(), i.instance(), i.version(),
                    Boolean.TRUE.equals(i.healthy()), url, color, i.state(), i.port(), null));
        }
        return new ObservedEnvironment.Host(h.name(), h.address(), env.sshPort(h), r.reachable(), r.error(),
                instances);
    }
}
