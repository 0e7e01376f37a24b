package io.opsflow.observe;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
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
import org.springframework.stereotype.Component;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.opsflow.platform.api.EnvironmentStateProbe;
import io.opsflow.platform.api.ServerPaths;
import io.opsflow.platform.environments.Environment;
import io.opsflow.platform.environments.HostConfig;
import io.opsflow.step.exec.StepLogs;
import io.opsflow.step.ssh.SshConnections;
import io.opsflow.step.ssh.SshResult;
import io.opsflow.step.ssh.SshSession;
import io.opsflow.step.ssh.SshTarget;
import io.opsflow.step.ssh.WorkerResult;
import io.opsflow.step.ssh.WorkerScripts;

/**
 * Probes an environment live, every host in parallel: can we log in over SSH (host key verified, key auth, run
 * {@code true}), and which application instances are there, which version each serves and whether it is healthy
 * right now ({@code workers/inventory.sh} on the host, which reads the instance directories and GETs each running
 * instance's health path), and how the environment's load balancer sees each instance ({@code GET /_lb/pools} of its
 * admin API). Nothing is remembered between calls.
 */
@Component
public class EnvironmentObserver implements EnvironmentStateProbe {
    private static final Logger LOG = LoggerFactory.getLogger(EnvironmentObserver.class);
    static final Duration HOST_TIMEOUT = Duration.ofSeconds(30);
    static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(20);
    static final Duration LB_TIMEOUT = Duration.ofSeconds(5);
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3))
            .version(HttpClient.Version.HTTP_1_1).build();

    private static final ObjectMapper JSON = new ObjectMapper();

    private final SshConnections connections;
    private final WorkerScripts workers;

    public EnvironmentObserver(SshConnections connections, WorkerScripts workers) {
        this.connections = connections;
        this.workers = workers;
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
                observed = withBackends(observed, pools(lbApi));
            } catch (RuntimeException e) {
                lbError = "cannot read the load balancer's pools at " + lbApi + ": " + e.getMessage();
            }
        }
        return new ObservedEnvironment(env.name(), env.requiresApproval(),
                new ObservedEnvironment.LoadBalancer(lbUrl, lbError), observed, Instant.now().toString());
    }

    /** {@code GET <api>/_lb/pools}: pool -> backend id -> what the load balancer reports. */
    Map<String, Map<String, ObservedEnvironment.Backend>> pools(String api) {
        HttpResponse<String> r;
        try {
            r = http.send(HttpRequest.newBuilder(URI.create(api.replaceAll("/+$", "") + "/_lb/pools"))
                    .timeout(LB_TIMEOUT).GET().build(), HttpResponse.BodyHandlers.ofString());
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e.toString(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        if (r.statusCode() != 200) {
            throw new IllegalStateException("HTTP " + r.statusCode());
        }
        JsonNode root;
        try {
            root = JSON.readTree(r.body());
        } catch (java.io.IOException e) {
            throw new IllegalStateException("not JSON: " + e.getMessage(), e);
        }
        Map<String, Map<String, ObservedEnvironment.Backend>> out = new LinkedHashMap<>();
        root.path("pools").fields().forEachRemaining(p -> {
            Map<String, ObservedEnvironment.Backend> backends = new LinkedHashMap<>();
            for (JsonNode b : p.getValue().path("backends")) {
                String id = b.path("id").asText();
                backends.put(id, new ObservedEnvironment.Backend(id, b.path("state").asText("active"),
                        b.path("healthy").asBoolean(false), b.path("inFlight").isInt() ? b.path("inFlight").asInt()
                        : null));
            }
            out.put(p.getKey(), backends);
        });
        return out;
    }

    /** The hosts with each instance's backend (pool = application, backend id = {@code <host>-<instance>}). */
    static List<ObservedEnvironment.Host> withBackends(List<ObservedEnvironment.Host> hosts,
                                                        Map<String, Map<String, ObservedEnvironment.Backend>> pools) {
        List<ObservedEnvironment.Host> out = new ArrayList<>();
        for (ObservedEnvironment.Host h : hosts) {
            List<ObservedEnvironment.Instance> instances = new ArrayList<>();
            for (ObservedEnvironment.Instance i : h.instances()) {
                ObservedEnvironment.Backend b = pools.getOrDefault(i.application(), Map.of())
                        .get(h.name() + "-" + i.instance());
                instances.add(new ObservedEnvironment.Instance(i.application(), i.instance(), i.version(),
                        i.healthy(), i.url(), i.color(), i.state(), i.port(), b));
            }
            out.add(new ObservedEnvironment.Host(h.name(), h.address(), h.sshPort(), h.reachable(), h.error(),
                    instances));
        }
        return out;
    }

    private static ObservedEnvironment.Host unreachable(Environment env, HostConfig h, String why) {
        return new ObservedEnvironment.Host(h.name(), h.address(), env.sshPort(h), false, why, List.of());
    }

    ObservedEnvironment.Host observeHost(Environment env, HostConfig h) {
        int port = env.sshPort(h);
        SshTarget target;
        try {
            Environment.Ssh ssh = env.ssh();
            String knownHosts = ssh == null ? null : ssh.knownHosts();
            target = new SshTarget(h.address(), port, ssh == null ? null : ssh.user(),
                    ssh == null ? null : ssh.keyRef(),
                    knownHosts == null || knownHosts.isBlank() ? null : Path.of(knownHosts));
        } catch (RuntimeException e) {
            return unreachable(env, h, "SSH settings of environment " + env.name() + " are incomplete: "
                    + e.getMessage());
        }
        try (SshSession session = connections.open(target)) {
            SshResult t = session.exec(List.of("true"), COMMAND_TIMEOUT, StepLogs.noop());
            if (t.exitCode() != 0) {
                return unreachable(env, h, "logged in, but 'true' exited " + t.exitCode());
            }
            String root = env.appRoot() == null || env.appRoot().isBlank() ? "~" : env.appRoot();
            StepLogs.MemoryStepLog log = StepLogs.memory();
            WorkerResult inv;
            try {
                inv = workers.run(session, "inventory.sh", List.of("--root", root), COMMAND_TIMEOUT, log);
            } catch (RuntimeException e) {
                return new ObservedEnvironment.Host(h.name(), h.address(), port, true,
                        "listing the instances failed: " + e.getMessage(), List.of());
            }
            if (!inv.ok()) {
                return new ObservedEnvironment.Host(h.name(), h.address(), port, true,
                        "inventory.sh failed (exit " + inv.exitCode() + "): " + inv.error(), List.of());
            }
            List<ObservedEnvironment.Instance> instances = new ArrayList<>();
            for (JsonNode i : inv.json().path("instances")) {
                String instance = i.path("instance").asText();
                Integer p = i.path("port").isInt() ? i.path("port").asInt() : null;
                instances.add(new ObservedEnvironment.Instance(i.path("app").asText(), instance,
                        i.path("version").isTextual() ? i.path("version").asText() : null,
                        i.path("healthy").asBoolean(false),
                        p == null ? null : "http://" + h.address() + ":" + p,
                        "blue".equals(instance) || "green".equals(instance) ? instance : null,
                        i.path("state").asText(null), p, null));
            }
            return new ObservedEnvironment.Host(h.name(), h.address(), port, true, null, instances);
        } catch (RuntimeException e) {
            LOG.debug("observe {}/{}: {}", env.name(), h.name(), e.toString());
            return unreachable(env, h, e.getMessage());
        }
    }
}
