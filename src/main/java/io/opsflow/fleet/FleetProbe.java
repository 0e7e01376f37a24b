package io.opsflow.fleet;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.opsflow.environments.Environment;
import io.opsflow.environments.HostConfig;
import io.opsflow.step.exec.StepLogs;
import io.opsflow.step.ssh.SshConnections;
import io.opsflow.step.ssh.SshResult;
import io.opsflow.step.ssh.SshSession;
import io.opsflow.step.ssh.SshTarget;
import io.opsflow.step.ssh.WorkerResult;
import io.opsflow.step.ssh.WorkerScripts;
import io.opsflow.step.exec.Lazy;

/**
 * The fleet read live, outside any run (the environment view of {@code GET /api/environments/{name}}): per host an
 * SSH login and {@code inventory.sh} with health probes, and the load balancer's pools from its admin API
 * ({@code GET /_lb/pools}, the one call the engine itself makes to that API). Changes nothing; every failure is a
 * result, with the reason, so one host or the load balancer never hides the others.
 */
@Component
public class FleetProbe {
    private static final Logger LOG = LoggerFactory.getLogger(FleetProbe.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Lazy<HttpClient> http = new Lazy<>(() -> HttpClient.newBuilder() // built on first use, not at start
            .connectTimeout(Duration.ofSeconds(3)).version(HttpClient.Version.HTTP_1_1).build());

    private final SshConnections connections;
    private final WorkerScripts workers;

    public FleetProbe(SshConnections connections, WorkerScripts workers) {
        this.connections = connections;
        this.workers = workers;
    }

    /**
     * Logs in to the host with the environment's SSH settings (host key verified, key authentication), runs
     * {@code true}, then {@code inventory.sh} with health probes over the same connection, each within
     * {@code commandTimeout}.
     */
    public HostReport probe(Environment env, HostConfig h, Duration commandTimeout) {
        SshTarget target;
        try {
            Environment.Ssh ssh = env.ssh();
            String knownHosts = ssh == null ? null : ssh.knownHosts();
            target = new SshTarget(h.address(), env.sshPort(h), ssh == null ? null : ssh.user(),
                    ssh == null ? null : ssh.keyRef(),
                    knownHosts == null || knownHosts.isBlank() ? null : Path.of(knownHosts));
        } catch (RuntimeException e) {
            return unreachable(h, "SSH settings of environment " + env.name() + " are incomplete: " + e.getMessage());
        }
        try (SshSession session = connections.open(target)) {
            SshResult t = session.exec(List.of("true"), commandTimeout, StepLogs.noop());
            if (t.exitCode() != 0) {
                return unreachable(h, "logged in, but 'true' exited " + t.exitCode());
            }
            WorkerResult inv;
            try {
                inv = workers.run(session, "inventory.sh", List.of("--root", env.appRootOnHosts()), commandTimeout,
                        StepLogs.memory());
            } catch (RuntimeException e) {
                return new HostReport(h.name(), true, "listing the instances failed: " + e.getMessage(), List.of());
            }
            if (!inv.ok()) {
                return new HostReport(h.name(), true, "inventory.sh failed (exit " + inv.exitCode() + "): "
                        + inv.error(), List.of());
            }
            return new HostReport(h.name(), true, null, HostInstance.parse(h.name(), inv.json()));
        } catch (RuntimeException e) {
            LOG.debug("probe {}/{}: {}", env.name(), h.name(), e.toString());
            return unreachable(h, e.getMessage());
        }
    }

    /** A host that could not be probed, and why. */
    public static HostReport unreachable(HostConfig h, String why) {
        return new HostReport(h.name(), false, why, List.of());
    }

    /**
     * {@code GET <admin API>/_lb/pools} (within {@code timeout}): pool → backend id → what the load balancer reports.
     * An API that cannot be read throws, saying why ({@code HTTP 503}, not JSON, the I/O error).
     */
    public Map<String, Map<String, PoolBackend>> pools(Environment env, Duration timeout) {
        String api = env.loadBalancerApi();
        if (api == null) {
            throw new IllegalStateException("environment " + env.name() + " has no load balancer api-url");
        }
        HttpResponse<String> r;
        try {
            r = http.get().send(HttpRequest.newBuilder(URI.create(api + "/_lb/pools")).timeout(timeout).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
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
        Map<String, Map<String, PoolBackend>> out = new LinkedHashMap<>();
        root.path("pools").fields().forEachRemaining(p -> {
            Map<String, PoolBackend> backends = new LinkedHashMap<>();
            for (JsonNode b : p.getValue().path("backends")) {
                String id = b.path("id").asText();
                backends.put(id, new PoolBackend(id, b.path("state").asText("active"),
                        b.path("healthy").asBoolean(false), b.path("inFlight").isInt() ? b.path("inFlight").asInt()
                        : null));
            }
            out.put(p.getKey(), backends);
        });
        return out;
    }

    /** The backend id of an instance in its application's pool ({@code <host>-<instance>}). */
    public static String backendId(String host, String instance) {
        return FleetScope.backendId(host, instance);
    }
}
