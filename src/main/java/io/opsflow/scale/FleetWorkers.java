package io.opsflow.scale;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.springframework.stereotype.Component;

import com.fasterxml.jackson.databind.JsonNode;

import io.opsflow.platform.environments.Environment;
import io.opsflow.platform.environments.HostConfig;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.ssh.FanOutResult;
import io.opsflow.step.ssh.HostTargets;
import io.opsflow.step.ssh.SshFanOut;
import io.opsflow.step.ssh.SshTarget;
import io.opsflow.step.ssh.WorkerResult;
import io.opsflow.step.ssh.WorkerScripts;

/**
 * The workers/ scripts as the scale and restart runbooks use them on an environment's hosts: {@code inventory.sh},
 * {@code release-activate.sh}, {@code service.sh}, {@code lb-ctl.sh} (run on the host that carries the instance, so
 * the load balancer's admin API only needs to be reachable from the hosts, as with HAProxy's Data Plane API).
 * Every command is an argv list; scripts are uploaded by checksum and their JSON result parsed by
 * {@link WorkerScripts}.
 */
@Component
public class FleetWorkers {
    private final WorkerScripts workers;
    private final HostTargets targets;
    private final SshFanOut fanOut;

    public FleetWorkers(WorkerScripts workers, HostTargets targets, SshFanOut fanOut) {
        this.workers = workers;
        this.targets = targets;
        this.fanOut = fanOut;
    }

    /** One application instance on a host, as inventory.sh reports it. */
    public record HostInstance(String host, String app, String instance, String state, String desiredState,
                               String version, Integer port, Boolean healthy) {
        public boolean running() {
            return "running".equals(state);
        }

        /** Should be running: desired state says so, or (no desired state recorded) it runs now. */
        public boolean wanted() {
            return desiredState == null ? running() : "running".equals(desiredState);
        }

        public String label() {
            return app + "/" + instance;
        }
    }

    /** inventory.sh on every host of the environment (in parallel); host name -> its instances, in host order. */
    public Map<String, List<HostInstance>> inventory(Environment e, boolean health, Duration timeout, StepLog log) {
        List<HostConfig> hosts = e.hosts();
        List<SshTarget> ts = hosts.stream().map(h -> targets.target(e, h)).toList();
        List<String> args = health ? List.of("--root", root(e)) : List.of("--root", root(e), "--no-health");
        FanOutResult<WorkerResult> out = fanOut.forEach(ts, Math.max(1, e.parallelism()),
                session -> workers.run(session, "inventory.sh", args, timeout, log));
        Map<String, List<HostInstance>> byHost = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < hosts.size(); i++) {
            HostConfig h = hosts.get(i);
            FanOutResult.HostOutcome<WorkerResult> o = out.outcomes().get(i);
            if (!o.succeeded()) {
                problems.add(h.name() + ": " + o.error().getMessage());
            } else if (!o.value().ok()) {
                problems.add(h.name() + ": inventory.sh failed (exit " + o.value().exitCode() + "): "
                        + o.value().error());
            } else {
                byHost.put(h.name(), parse(h.name(), o.value().json()));
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalStateException("cannot read the instances in " + e.name() + ": "
                    + String.join("; ", problems));
        }
        return byHost;
    }

    /** inventory.sh on one host. */
    public List<HostInstance> inventory(Environment e, HostConfig h, boolean health, Duration timeout, StepLog log) {
        List<String> args = health ? List.of("--root", root(e)) : List.of("--root", root(e), "--no-health");
        return parse(h.name(), require(h, "inventory.sh", run(e, h, "inventory.sh", args, timeout, log)));
    }

    private static List<HostInstance> parse(String host, JsonNode json) {
        List<HostInstance> out = new ArrayList<>();
        for (JsonNode i : json.path("instances")) {
            out.add(new HostInstance(host, i.path("app").asText(), i.path("instance").asText(),
                    text(i, "state"), text(i, "desiredState"), text(i, "version"),
                    i.path("port").isNumber() ? i.path("port").asInt() : null,
                    i.path("healthy").isBoolean() ? i.path("healthy").asBoolean() : null));
        }
        return out;
    }

    /**
     * lb-ctl.sh on the instance's host. {@code absentIsFine}: a drain/undrain/status of a backend the pool does not
     * have returns {@code null} instead of failing.
     */
    public JsonNode lb(Environment e, HostConfig h, String pool, String backendId, List<String> extra, String action,
                       boolean absentIsFine, Duration timeout, StepLog log) {
        String api = lbApi(e);
        if (api == null) {
            throw new IllegalStateException("environment " + e.name() + " has no load balancer api-url "
                    + "(opsflow.environments." + e.name() + ".load-balancer.api-url)");
        }
        List<String> args = new ArrayList<>(List.of("--api", api, "--pool", pool, "--backend", backendId));
        args.addAll(extra);
        args.add(action);
        WorkerResult r = run(e, h, "lb-ctl.sh", args, timeout, log);
        if (!r.ok() && absentIsFine && r.exitCode() == 1 && r.json().path("present").isBoolean()
                && !r.json().path("present").asBoolean()) {
            log.info(backendId + " is not a backend of pool " + pool + ": " + action + " skipped");
            return null;
        }
        if ("status".equals(action) && r.ok() && !r.json().path("present").asBoolean(false)) {
            return absentIsFine ? null : r.json();
        }
        return require(h, "lb-ctl.sh " + action + " " + backendId, r);
    }

    /** What a drain found: whether the backend finished its in-flight requests in time (null = not counted). */
    public record Drained(String backend, Boolean idle, Integer inFlight) {
    }

    /**
     * Takes a backend out of its pool ({@code lb-ctl.sh drain}) and waits up to {@code waitIdle} until it has no
     * request in flight. Null when the pool has no such backend. {@code idle} is null when the load balancer does
     * not count in-flight requests: the caller then falls back to a fixed delay. A zero {@code waitIdle} drains
     * without waiting.
     */
    public Drained drain(Environment e, HostConfig h, String pool, String backendId, Duration waitIdle,
                         Duration stepTimeout, StepLog log) {
        List<String> extra = waitIdle.isZero() ? List.of() : List.of("--wait-idle", seconds(waitIdle));
        JsonNode r = lb(e, h, pool, backendId, extra, "drain", true, stepTimeout.plus(waitIdle), log);
        if (r == null) {
            return null;
        }
        JsonNode idle = r.path("idle");
        JsonNode inFlight = r.path("inFlight");
        Drained d = new Drained(backendId, idle.isBoolean() ? idle.asBoolean() : null,
                inFlight.isInt() ? inFlight.asInt() : null);
        if (Boolean.TRUE.equals(d.idle())) {
            log.info("drained " + backendId + ": no request in flight (waited " + r.path("waitedMs").asLong() + " ms)");
        } else if (Boolean.FALSE.equals(d.idle())) {
            log.info("drained " + backendId + ": still " + d.inFlight() + " request(s) in flight after " + waitIdle
                    + " (opsflow drain-wait); going on: they will be cut off");
        }
        return d;
    }

    public WorkerResult run(Environment e, HostConfig h, String script, List<String> args, Duration timeout,
                            StepLog log) {
        return workers.run(targets.target(e, h), script, args, timeout, log);
    }

    public static JsonNode require(HostConfig h, String what, WorkerResult r) {
        if (!r.ok()) {
            throw new IllegalStateException(h.name() + ": " + what + " failed (exit " + r.exitCode() + "): "
                    + r.error());
        }
        return r.json();
    }

    public static HostConfig host(Environment e, String name) {
        return e.host(name).orElseThrow(() -> new IllegalArgumentException("environment " + e.name()
                + " has no host " + name + " (hosts: " + e.hosts().stream().map(HostConfig::name).toList() + ")"));
    }

    /** The application root on the hosts ("~" = the login's home). */
    public static String root(Environment e) {
        return e.appRoot() == null || e.appRoot().isBlank() ? "~" : e.appRoot();
    }

    public static String lbApi(Environment e) {
        String api = e.loadBalancer() == null ? null : e.loadBalancer().apiUrl();
        return api == null || api.isBlank() ? null : api.replaceAll("/+$", "");
    }

    /** {@code <store>/<app>-<version>.tar.gz}: a directory on the hosts or an http(s) URL base. */
    public static String artifact(Environment e, String app, String version) {
        String store = e.artifactStore();
        if (store == null || store.isBlank()) {
            throw new IllegalStateException("environment " + e.name() + " has no artifact store "
                    + "(opsflow.environments." + e.name() + ".artifact-store)");
        }
        return store.replaceAll("/+$", "") + "/" + app + "-" + version + ".tar.gz";
    }

    /** Backend id of an instance in its application's pool, as the sandbox and the release runbooks register them. */
    public static String backendId(String host, String instance) {
        return host + "-" + instance;
    }

    /** Whole seconds for a script argument, at least 1. */
    public static String seconds(Duration d) {
        return String.valueOf(Math.max(1, d.toSeconds()));
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }
}
