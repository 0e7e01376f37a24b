package io.opsflow.sandbox;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.JsonNode;

import io.opsflow.environments.Environments;
import io.opsflow.sandbox.artifacts.ArtifactStore;
import io.opsflow.step.exec.StepLogs;
import io.opsflow.step.ssh.SshTarget;
import io.opsflow.step.ssh.WorkerResult;
import io.opsflow.step.ssh.WorkerScripts;

/**
 * The application side of the fleet, done through the same code paths as on real hosts: SSH into the host and run
 * the workers/ scripts ({@link WorkerScripts}), register backends through the load balancer's admin API.
 * <ul>
 * <li>first start: {@code webapp} 1.0.0 as instance {@code blue} on every host, in pool {@code webapp}, colour blue
 * active;</li>
 * <li>clean stop: records the running instances, stops them with {@code service.sh stop};</li>
 * <li>start: starts what ran at the last clean stop; after a crash, {@code service.sh ensure} (desired state);
 * instances a previous run left running are kept (adopted) or restarted, as {@link SandboxFleet} decided.</li>
 * </ul>
 */
final class SandboxApps {
    private static final Logger LOG = LoggerFactory.getLogger(SandboxApps.class);
    static final String APP_ROOT = "~";
    private static final Duration WORKER_TIMEOUT = Duration.ofSeconds(90);

    private final WorkerScripts workers;
    private final Environments environments; // may be null

    SandboxApps(WorkerScripts workers, Environments environments) {
        this.workers = workers;
        this.environments = environments;
    }

    /** Backend id of an instance in a load balancer pool: {@code <host>-<instance>}, e.g. staging-web-1-blue. */
    static String backendId(String host, String instance) {
        return host + "-" + instance;
    }

    int instancePort(SandboxFleet.FleetHost h, String app, String instance) {
        if (environments != null) {
            return environments.instancePort(h.toHostConfig(), app, instance);
        }
        return h.portBase() + ("blue".equals(instance) ? 0 : 1) + ("api".equals(app) ? 10 : 0);
    }

    SshTarget target(SandboxFleet fleet, SandboxFleet.FleetHost h) {
        return new SshTarget(h.address(), h.sshPort(), fleet.user(), fleet.keyRef(), fleet.knownHosts());
    }

    private WorkerResult run(SandboxFleet fleet, SandboxFleet.FleetHost h, String script, List<String> args) {
        StepLogs.MemoryStepLog log = StepLogs.memory();
        WorkerResult r = workers.run(target(fleet, h), script, args, WORKER_TIMEOUT, log);
        if (!r.ok()) {
            throw new IllegalStateException(h.name() + ": " + script + " " + String.join(" ", args) + " failed (exit "
                    + r.exitCode() + "): " + r.error() + "\n" + log.tail());
        }
        return r;
    }

    /** Deploys the bootstrap application on every host and puts it behind the environments' load balancers. */
    void bootstrap(SandboxFleet fleet, String app, String version) {
        ArtifactStore.build(fleet.artifactStore());
        String artifact = new ArtifactStore(fleet.artifactStore()).artifact(app, version).toString();
        long t0 = System.nanoTime();
        Map<SandboxFleet.FleetHost, Integer> ports = new LinkedHashMap<>();
        fleet.allHosts().forEach(h -> ports.put(h, instancePort(h, app, "blue")));
        onEveryHost(fleet, new ArrayList<>(ports.keySet()), h -> run(fleet, h, "release-activate.sh",
                List.of("--root", APP_ROOT, "--app", app, "--instance", "blue", "--version", version,
                        "--artifact", artifact, "--sha256", "auto", "--port", String.valueOf(ports.get(h)))));
        for (String env : fleet.environmentNames()) {
            SandboxLoadBalancer lb = fleet.loadBalancer(env);
            for (SandboxFleet.FleetHost h : fleet.hosts(env)) {
                LoadBalancerClient.put(lb.apiUrl(), app, backendId(h.name(), "blue"),
                        "http://" + h.address() + ":" + ports.get(h), "blue");
            }
            if (!fleet.hosts(env).isEmpty()) {
                LoadBalancerClient.switchTo(lb.apiUrl(), app, "blue");
            }
        }
        LOG.info("sandbox: {} {} deployed as instance blue on {} hosts in {} ms", app, version, ports.size(),
                (System.nanoTime() - t0) / 1_000_000);
    }

    /** Stops every running instance with service.sh; returns host -> "app/instance" that were running. */
    Map<String, List<String>> stopAll(SandboxFleet fleet) {
        Map<String, List<String>> running = new LinkedHashMap<>();
        List<SandboxFleet.FleetHost> hosts = fleet.allHosts();
        List<List<String>> perHost = onEveryHost(fleet, hosts, h -> {
            List<String> was = new ArrayList<>();
            try {
                JsonNode inv = run(fleet, h, "inventory.sh", List.of("--root", APP_ROOT, "--no-health")).json();
                for (JsonNode i : inv.path("instances")) {
                    if ("running".equals(i.path("state").asText())) {
                        String app = i.path("app").asText();
                        String instance = i.path("instance").asText();
                        was.add(app + "/" + instance);
                        run(fleet, h, "service.sh", List.of("--root", APP_ROOT, "--app", app, "--instance",
                                instance, "stop"));
                    }
                }
            } catch (RuntimeException e) {
                LOG.warn("sandbox: stopping the instances on {} failed: {}", h.name(), e.getMessage());
            }
            return was;
        });
        for (int i = 0; i < hosts.size(); i++) {
            running.put(hosts.get(i).name(), perHost.get(i));
        }
        return running;
    }

    /** Restarts instances (host -> "app/instance") with {@code service.sh restart}: ours, not answering right. */
    void restart(SandboxFleet fleet, Map<String, List<String>> byHost) {
        if (byHost.isEmpty()) {
            return;
        }
        List<SandboxFleet.FleetHost> hosts = fleet.allHosts().stream().filter(h -> byHost.containsKey(h.name()))
                .toList();
        onEveryHost(fleet, hosts, h -> {
            for (String ai : byHost.get(h.name())) {
                String[] p = ai.split("/", 2);
                run(fleet, h, "service.sh", List.of("--root", APP_ROOT, "--app", p[0], "--instance", p[1], "restart"));
            }
            return null;
        });
    }

    /**
     * Brings instances back: those listed for a host (clean stop) are started; hosts without a record (the JVM died)
     * get {@code service.sh ensure} for every instance (their desired state). Instances in {@code handled} (host ->
     * "app/instance": adopted or restarted already) are left as they are.
     */
    void restore(SandboxFleet fleet, Map<String, List<String>> runningAtStop, Map<String, List<String>> handled) {
        onEveryHost(fleet, fleet.allHosts(), h -> {
            List<String> listed = runningAtStop == null ? null : runningAtStop.get(h.name());
            List<String> done = handled.getOrDefault(h.name(), List.of());
            if (listed != null) {
                for (String ai : listed) {
                    if (done.contains(ai)) {
                        continue;
                    }
                    String[] p = ai.split("/", 2);
                    run(fleet, h, "service.sh", List.of("--root", APP_ROOT, "--app", p[0], "--instance", p[1],
                            "start"));
                }
            } else {
                JsonNode inv = run(fleet, h, "inventory.sh", List.of("--root", APP_ROOT, "--no-health")).json();
                for (JsonNode i : inv.path("instances")) {
                    String ai = i.path("app").asText() + "/" + i.path("instance").asText();
                    if ("running".equals(i.path("desiredState").asText())
                            && !"running".equals(i.path("state").asText()) && !done.contains(ai)) {
                        run(fleet, h, "service.sh", List.of("--root", APP_ROOT, "--app", i.path("app").asText(),
                                "--instance", i.path("instance").asText(), "ensure"));
                    }
                }
            }
            return null;
        });
    }

    /** Runs {@code task} on every host in parallel; the first failure (after all ended) is thrown. */
    private static <T> List<T> onEveryHost(SandboxFleet fleet, List<SandboxFleet.FleetHost> hosts,
                                           Function<SandboxFleet.FleetHost, T> task) {
        if (hosts.isEmpty()) {
            return List.of();
        }
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(hosts.size(), 6), r -> {
            Thread t = new Thread(r, "sandbox-apps");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<T>> futures = hosts.stream().map(h -> pool.submit(() -> task.apply(h))).toList();
            List<T> results = new ArrayList<>();
            List<String> errors = new ArrayList<>();
            RuntimeException first = null;
            for (Future<T> f : futures) {
                try {
                    results.add(f.get());
                } catch (ExecutionException e) {
                    Throwable c = e.getCause();
                    errors.add(c.getMessage());
                    if (first == null) {
                        first = c instanceof RuntimeException re ? re : new IllegalStateException(c);
                    }
                    results.add(null);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted", e);
                }
            }
            if (first != null) {
                throw new IllegalStateException(String.join("\n", errors), first);
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }
}
