package io.opsflow.scale;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.springframework.stereotype.Component;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.opsflow.platform.environments.Environment;
import io.opsflow.platform.environments.Environments;
import io.opsflow.platform.environments.HostConfig;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.ssh.WorkerResult;

/**
 * {@link ScaleOperations} on real (and sandbox) hosts through the workers/ scripts over SSH:
 * <ul>
 * <li>inspect: {@code inventory.sh} on every host, then {@code lb-ctl.sh status} per running instance of the
 * application: the pool is what is registered (of the active colour when the pool has one);</li>
 * <li>add: {@code release-activate.sh} (installs the release from the artifact store when missing, starts the
 * instance on {@code Environments.instancePort(host, app, "i<n>")}, waits healthy), then {@code lb-ctl.sh add
 * --wait-healthy};</li>
 * <li>remove: {@code lb-ctl.sh drain --wait-idle} (no new requests; waits until the instance has finished the ones
 * in flight, at most {@code opsflow.scale.drain-wait}, a fixed wait of that length when the load balancer does not
 * count them), {@code service.sh stop}, {@code lb-ctl.sh remove};</li>
 * <li>verify: GET {@code <load balancer>/version} (pool webapp) or {@code /<app>/version} in a loop, counting the
 * {@code "instance"} field of the answers.</li>
 * </ul>
 */
@Component
public class FleetScaleOperations implements ScaleOperations {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The load balancer's default pool, reached without a path prefix (docs/contracts.md). */
    static final String DEFAULT_POOL = "webapp";

    private final Environments environments;
    private final FleetWorkers workers;
    private final ScaleProperties props;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .followRedirects(HttpClient.Redirect.NEVER).build();

    public FleetScaleOperations(Environments environments, FleetWorkers workers, ScaleProperties props) {
        this.environments = environments;
        this.workers = workers;
        this.props = props;
    }

    @Override
    public PoolState inspect(String environment, String application, StepLog log) {
        Environment e = environments.get(environment);
        Map<String, List<FleetWorkers.HostInstance>> inv = workers.inventory(e, false, props.getStepTimeout(), log);
        List<AppInstance> registered = new ArrayList<>();
        List<String> versions = new ArrayList<>();
        String active = null;
        for (HostConfig h : e.hosts()) {
            for (FleetWorkers.HostInstance i : inv.getOrDefault(h.name(), List.of())) {
                if (!application.equals(i.app()) || !i.running()) {
                    continue;
                }
                JsonNode st = workers.lb(e, h, application, FleetWorkers.backendId(h.name(), i.instance()), List.of(),
                        "status", true, props.getStepTimeout(), log);
                if (st == null) {
                    continue; // running but not behind the load balancer (e.g. an idle blue-green colour)
                }
                if (!st.path("active").isNull() && !st.path("active").asText("").isEmpty()) {
                    active = st.path("active").asText();
                }
                registered.add(new AppInstance(h.name(), i.instance(), FleetWorkers.backendId(h.name(), i.instance()),
                        st.path("url").asText(null), st.path("color").asText(null), st.path("state").asText(null),
                        st.path("healthy").asBoolean(false)));
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
        return new PoolState(serving, version, colour);
    }

    @Override
    public AddResult addInstance(String environment, String application, Placement placement, String version,
                                 String color, StepLog log) {
        Environment e = environments.get(environment);
        HostConfig h = FleetWorkers.host(e, placement.host());
        int port = environments.instancePort(h, application, placement.instance());
        String health = FleetWorkers.seconds(props.getHealthTimeout());
        WorkerResult r = workers.run(e, h, "release-activate.sh", List.of("--root", FleetWorkers.root(e), "--app",
                application, "--instance", placement.instance(), "--version", version, "--artifact",
                FleetWorkers.artifact(e, application, version), "--port", String.valueOf(port), "--health-path",
                environments.healthPath(application), "--health-timeout", health), props.getStepTimeout(), log);
        if (!r.ok()) {
            if (r.exitCode() == 1 && r.json().path("healthy").isBoolean() && !r.json().path("healthy").asBoolean()) {
                return new AddResult(false, r.error());
            }
            FleetWorkers.require(h, "release-activate.sh " + application + " " + version + " as "
                    + placement.instance(), r);
        }
        List<String> extra = new ArrayList<>(List.of("--url", "http://" + h.address() + ":" + port));
        if (color != null) {
            extra.addAll(List.of("--color", color));
        }
        extra.addAll(List.of("--wait-healthy", health));
        JsonNode lb = workers.lb(e, h, application, FleetWorkers.backendId(h.name(), placement.instance()), extra,
                "add", false, props.getStepTimeout(), log);
        if (!lb.path("healthy").asBoolean(false)) {
            return new AddResult(false, "the load balancer does not see " + placement.key() + " healthy after "
                    + health + "s");
        }
        return new AddResult(true, application + " " + version + " on " + h.address() + ":" + port
                + ", registered as " + FleetWorkers.backendId(h.name(), placement.instance()));
    }

    @Override
    public void removeInstance(String environment, String application, Placement placement, StepLog log) {
        Environment e = environments.get(environment);
        HostConfig h = FleetWorkers.host(e, placement.host());
        String backend = FleetWorkers.backendId(h.name(), placement.instance());
        FleetWorkers.Drained drained = workers.drain(e, h, application, backend, props.getDrainWait(),
                props.getStepTimeout(), log);
        if (drained != null && drained.idle() == null && !props.getDrainWait().isZero()) {
            log.info("drained " + backend + "; the load balancer does not count in-flight requests: waiting "
                    + props.getDrainWait());
            sleep(props.getDrainWait());
        }
        FleetWorkers.require(h, "service.sh stop " + application + "/" + placement.instance(),
                workers.run(e, h, "service.sh", List.of("--root", FleetWorkers.root(e), "--app", application,
                        "--instance", placement.instance(), "stop"), props.getStepTimeout(), log));
        workers.lb(e, h, application, backend, List.of(), "remove", true, props.getStepTimeout(), log);
    }

    @Override
    public Distribution verifyDistribution(String environment, String application, Set<String> mustAnswer,
                                           Set<String> mustNotAnswer, StepLog log) {
        Environment e = environments.get(environment);
        String base = e.loadBalancer() == null ? null : e.loadBalancer().url();
        if (base == null || base.isBlank()) {
            throw new IllegalStateException("environment " + environment + " has no load balancer url "
                    + "(opsflow.environments." + environment + ".load-balancer.url)");
        }
        URI uri = URI.create(base.replaceAll("/+$", "") + (DEFAULT_POOL.equals(application) ? "" : "/" + application)
                + "/version");
        Map<String, Integer> answered = new TreeMap<>();
        int requests = 0;
        int failures = 0;
        List<String> failureSamples = new ArrayList<>();
        int minRequests = Math.max(props.getVerifyMinRequests(), 4 * (mustAnswer.size() + mustNotAnswer.size()));
        long deadline = System.nanoTime() + props.getVerifyTimeout().toNanos();
        while (requests < props.getVerifyMaxRequests() && System.nanoTime() < deadline) {
            requests++;
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).GET().timeout(Duration.ofSeconds(5))
                        .header("User-Agent", "opsflow-scale").build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 200) {
                    failures++;
                    sample(failureSamples, "HTTP " + r.statusCode());
                } else {
                    String instance = JSON.readTree(r.body()).path("instance").asText("?");
                    answered.merge(instance, 1, Integer::sum);
                }
            } catch (IOException ex) {
                failures++;
                sample(failureSamples, ex.getClass().getSimpleName() + ": " + ex.getMessage());
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while checking " + uri, ex);
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

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while draining", ex);
        }
    }
}
