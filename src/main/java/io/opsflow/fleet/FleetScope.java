package io.opsflow.fleet;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;

import io.opsflow.environments.Environment;
import io.opsflow.environments.HostConfig;
import io.opsflow.step.exec.StepCancelledException;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.http.HealthReport;
import io.opsflow.step.http.UrlHealth;
import io.opsflow.step.ssh.FanOutResult;
import io.opsflow.step.ssh.SshResult;
import io.opsflow.step.ssh.SshTarget;
import io.opsflow.step.ssh.WorkerResult;

/**
 * The hosts and the load balancer of one environment, for one step ({@link Fleet#in}): one time limit per script
 * run, one step log. Hosts are named as the environment names them.
 *
 * <p>Failure contract: a method returns what the script reported when the operation was carried out, including the
 * outcomes a runbook decides on (an instance that came up unhealthy, a backend the pool does not have); anything
 * else (host unreachable, invalid arguments, a script that failed) is an {@link IllegalStateException} saying on
 * which host what failed, with the script's exit code and error: the engine retries the step, then raises an
 * incident.
 */
public final class FleetScope {
    private final Fleet fleet;
    private final Environment env;
    private final Duration timeout;
    private final StepLog log;

    FleetScope(Fleet fleet, Environment env, Duration timeout, StepLog log) {
        this.fleet = fleet;
        this.env = env;
        this.timeout = timeout;
        this.log = log;
    }

    public Environment environment() {
        return env;
    }

    // ------------------------------------------------------------------------------------------------ inventory

    /**
     * {@code inventory.sh} on every host, in parallel (at most the environment's parallelism): host name → its
     * instances, in host order. {@code health}: each running instance's health path is probed once. A host that
     * cannot be read fails the whole call, naming every such host.
     */
    public Map<String, List<HostInstance>> inventory(boolean health) {
        List<HostConfig> hosts = env.hosts();
        List<SshTarget> ts = hosts.stream().map(h -> fleet.targets.target(env, h)).toList();
        List<String> args = inventoryArgs(health);
        FanOutResult<WorkerResult> out = fleet.fanOut.forEach(ts, Math.max(1, env.parallelism()),
                session -> fleet.workers.run(session, "inventory.sh", args, timeout, log));
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
                byHost.put(h.name(), HostInstance.parse(h.name(), o.value().json()));
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalStateException("cannot read the instances in " + env.name() + ": "
                    + String.join("; ", problems));
        }
        return byHost;
    }

    /** {@code inventory.sh} on one host. */
    public List<HostInstance> inventory(String host, boolean health) {
        HostConfig h = env.requireHost(host);
        return HostInstance.parse(h.name(), require(h, "inventory.sh", run(h, "inventory.sh", inventoryArgs(health))));
    }

    private List<String> inventoryArgs(boolean health) {
        return health ? List.of("--root", env.appRootOnHosts())
                : List.of("--root", env.appRootOnHosts(), "--no-health");
    }

    // ------------------------------------------------------------------------------------------------ artifacts

    /**
     * {@code artifact-list.sh} on the environment's hosts, one after the other until one answers: the
     * {@code <app>-<version>.tar.gz} files of the environment's artifact store as the hosts see it (a directory
     * listed on the host, or {@code <store>/index.txt} of an http(s) store fetched from the host), in the store's
     * order. The store is read where the releases read it, so what is listed is what a release can install. No host,
     * no store configured, or no host able to read it: an {@link IllegalStateException} saying why for each host.
     */
    public List<Artifact> artifacts() {
        String store = env.artifactStore();
        if (store == null || store.isBlank()) {
            throw new IllegalStateException("environment " + env.name() + " has no artifact store "
                    + "(opsflow.environments." + env.name() + ".artifact-store)");
        }
        if (env.hosts().isEmpty()) {
            throw new IllegalStateException("environment " + env.name() + " has no host to list its artifact store "
                    + "on");
        }
        List<String> problems = new ArrayList<>();
        for (HostConfig h : env.hosts()) {
            try {
                WorkerResult r = run(h, "artifact-list.sh", List.of("--store", store));
                if (r.ok()) {
                    return Artifact.parse(r.json());
                }
                problems.add(h.name() + ": artifact-list.sh failed (exit " + r.exitCode() + "): " + r.error());
                if (r.exitCode() == 2) {
                    break; // invalid arguments: every host would say the same
                }
            } catch (RuntimeException e) {
                problems.add(h.name() + ": " + e.getMessage());
            }
        }
        throw new IllegalStateException("cannot list the artifact store of " + env.name() + ": "
                + String.join("; ", problems));
    }

    // ------------------------------------------------------------------------------------------------ instances

    /**
     * {@code release-activate.sh}: installs {@code <app>-<version>} from the environment's artifact store when
     * missing ({@code verifyChecksum}: against {@code <artifact>.sha256}), points the instance at it, (re)starts it on
     * its port and waits up to {@code healthTimeout} for its health path. An instance that does not come up healthy
     * is a result ({@code healthy=false}), not an exception.
     */
    public Activated activate(String host, String app, String instance, String version, Duration healthTimeout,
                              boolean verifyChecksum) {
        HostConfig h = env.requireHost(host);
        int port = port(h, app, instance);
        List<String> args = activateArgs(h, app, instance, version, healthTimeout, verifyChecksum);
        WorkerResult r = run(h, "release-activate.sh", args);
        String previous = Json.text(r.json(), "previousVersion");
        if (r.ok()) {
            return new Activated(host, instance, previous, version, port, true, null);
        }
        if (r.exitCode() == 1 && r.json().path("healthy").isBoolean()) {
            log.info(host + "/" + instance + " runs " + version + " but is unhealthy: " + r.error());
            return new Activated(host, instance, previous, version, port, false, r.error());
        }
        throw failure(h, "release-activate.sh " + app + " " + version + " on " + instance, r.exitCode(), r.error());
    }

    /**
     * {@code release-activate.sh --check} for each slot, in parallel (at most the environment's parallelism), with
     * exactly the arguments {@link #activate} will pass: what the release would do, host by host, changing nothing.
     * A check the script reports as failing (exit 1) is a result with {@code error}; a host that cannot be reached or
     * a script that fails otherwise is an exception naming the host.
     */
    public List<ActivationCheck> checkActivations(String app, String version, List<Slot> slots,
                                                  Duration healthTimeout, boolean verifyChecksum) {
        // one connection per host; a host's slots are checked one after the other on it
        Map<String, List<Slot>> byHost = new LinkedHashMap<>();
        slots.forEach(slot -> byHost.computeIfAbsent(slot.host(), k -> new ArrayList<>()).add(slot));
        Map<String, String> hostOfTarget = new LinkedHashMap<>();
        List<SshTarget> ts = new ArrayList<>();
        for (String host : byHost.keySet()) {
            SshTarget t = fleet.targets.target(env, env.requireHost(host));
            ts.add(t);
            hostOfTarget.put(t.display(), host);
        }
        FanOutResult<Map<Slot, WorkerResult>> out = fleet.fanOut.forEach(ts, Math.max(1, env.parallelism()),
                session -> {
                    Map<Slot, WorkerResult> results = new LinkedHashMap<>();
                    for (Slot slot : byHost.get(hostOfTarget.get(session.target().display()))) {
                        List<String> args = activateArgs(env.requireHost(slot.host()), app, slot.instance(),
                                version, healthTimeout, verifyChecksum);
                        args.add("--check");
                        results.put(slot, fleet.workers.run(session, "release-activate.sh", args, timeout, log));
                    }
                    return results;
                });
        Map<Slot, WorkerResult> results = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        for (FanOutResult.HostOutcome<Map<Slot, WorkerResult>> o : out.outcomes()) {
            if (o.succeeded()) {
                results.putAll(o.value());
            } else {
                problems.add(hostOfTarget.get(o.target().display()) + ": " + o.error().getMessage());
            }
        }
        List<ActivationCheck> checks = new ArrayList<>();
        for (Slot slot : slots) {
            WorkerResult r = results.get(slot);
            if (r == null) {
                continue;
            }
            HostConfig h = env.requireHost(slot.host());
            JsonNode j = r.json();
            int port = port(h, app, slot.instance());
            if (r.ok()) {
                checks.add(new ActivationCheck(slot.host(), slot.instance(), Json.text(j, "previousVersion"), version,
                        port, j.path("install").asBoolean(), j.path("switch").asBoolean(),
                        j.path("envChanged").asBoolean(), j.path("restart").asBoolean(), j.path("running").asBoolean(),
                        Json.text(j, "sha256"), null));
            } else if (r.exitCode() == 1) {
                checks.add(new ActivationCheck(slot.host(), slot.instance(), null, version, port, false, false, false,
                        false, false, null, r.error()));
            } else {
                problems.add(failure(h, "release-activate.sh --check " + app + " " + version + " on "
                        + slot.instance(), r.exitCode(), r.error()).getMessage());
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalStateException("cannot check the release of " + app + " " + version + " in "
                    + env.name() + ": " + String.join("; ", problems));
        }
        return checks;
    }

    private List<String> activateArgs(HostConfig h, String app, String instance, String version,
                                      Duration healthTimeout, boolean verifyChecksum) {
        List<String> args = new ArrayList<>(List.of("--root", env.appRootOnHosts(), "--app", app, "--instance",
                instance, "--version", version, "--artifact", env.artifact(app, version), "--port",
                String.valueOf(port(h, app, instance)), "--health-path", fleet.environments.healthPath(app),
                "--health-timeout", seconds(healthTimeout)));
        if (verifyChecksum) {
            args.addAll(List.of("--sha256", "auto"));
        }
        return args;
    }

    /**
     * {@code service.sh start} (no-op when running), then up to {@code healthTimeout} for its health path. Started
     * but not healthy in time is a result (state running, not {@code ok}): a health check decides.
     */
    public ServiceResult start(String host, String app, String instance, Duration healthTimeout) {
        HostConfig h = env.requireHost(host);
        ServiceResult r = service(h, app, instance, "start", healthTimeout);
        if (r.ok()) {
            return r;
        }
        if (r.exitCode() == 1 && r.running()) {
            log.info(host + "/" + instance + " started but unhealthy: " + r.error());
            return r;
        }
        throw failure(h, "service.sh start " + r.label(), r.exitCode(), r.error());
    }

    /** {@code service.sh stop} (no-op when stopped or absent). */
    public ServiceResult stop(String host, String app, String instance) {
        HostConfig h = env.requireHost(host);
        ServiceResult r = service(h, app, instance, "stop", null);
        if (!r.ok()) {
            throw failure(h, "service.sh stop " + r.label(), r.exitCode(), r.error());
        }
        return r;
    }

    /**
     * {@code service.sh restart}: stop, start, up to {@code healthTimeout} for its health path. A restart that did
     * not end healthy (or could not start) is a result, not {@code ok}; invalid arguments (exit 2) throw.
     */
    public ServiceResult restart(String host, String app, String instance, Duration healthTimeout) {
        HostConfig h = env.requireHost(host);
        ServiceResult r = service(h, app, instance, "restart", healthTimeout);
        if (r.exitCode() == 2) {
            throw failure(h, "service.sh restart " + r.label(), r.exitCode(), r.error());
        }
        return r;
    }

    /** {@code service.sh status}: what the instance's process does now (state, version, health when running). */
    public ServiceResult status(String host, String app, String instance) {
        HostConfig h = env.requireHost(host);
        ServiceResult r = service(h, app, instance, "status", null);
        if (r.exitCode() == 2) {
            throw failure(h, "service.sh status " + r.label(), r.exitCode(), r.error());
        }
        return r;
    }

    /**
     * {@code health-probe.sh} on the host against the instance's health path on 127.0.0.1 and its configured port:
     * up to {@code attempts} tries {@code interval} apart. Not healthy is a result; invalid arguments throw.
     */
    public HostProbe probeOnHost(String host, String app, String instance, int attempts, Duration interval) {
        HostConfig h = env.requireHost(host);
        String url = "http://127.0.0.1:" + port(h, app, instance) + fleet.environments.healthPath(app);
        WorkerResult r = run(h, "health-probe.sh", List.of("--url", url, "--retries", String.valueOf(attempts),
                "--interval", String.valueOf(Math.max(0, interval.toMillis()) / 1000.0)));
        if (r.exitCode() == 2) {
            throw failure(h, "health-probe.sh " + url, r.exitCode(), r.error());
        }
        JsonNode j = r.json();
        return new HostProbe(host, url, r.ok(), j.path("status").canConvertToInt() ? j.path("status").asInt() : null,
                j.path("attempts").asInt(0), r.error());
    }

    private ServiceResult service(HostConfig h, String app, String instance, String action, Duration healthTimeout) {
        List<String> args = new ArrayList<>(List.of("--root", env.appRootOnHosts(), "--app", app, "--instance",
                instance));
        if (healthTimeout != null) {
            args.addAll(List.of("--health-timeout", seconds(healthTimeout)));
        }
        args.add(action);
        WorkerResult r = run(h, "service.sh", args);
        return ServiceResult.of(h.name(), app, instance, action, r.exitCode(), r.ok() ? null : String.valueOf(
                r.error()), r.json());
    }

    /**
     * {@code release-remove.sh}: stops and removes the instance, and {@code version}'s release when no other
     * instance uses it. With {@code version}, only when the instance runs it: otherwise a later change owns the
     * instance and nothing is touched ({@link Removed#ownedByLaterChange()}).
     */
    public Removed remove(String host, String app, String instance, String version) {
        HostConfig h = env.requireHost(host);
        List<String> args = new ArrayList<>(List.of("--root", env.appRootOnHosts(), "--app", app, "--instance",
                instance));
        if (version != null) {
            args.addAll(List.of("--version", version));
        }
        WorkerResult r = run(h, "release-remove.sh", args);
        JsonNode j = r.json();
        if (r.ok()) {
            return new Removed(j.path("instanceRemoved").asBoolean(false), j.path("releaseRemoved").asBoolean(false),
                    null);
        }
        if (r.exitCode() == 1 && j.has("currentVersion")) {
            String later = Json.text(j, "currentVersion");
            log.info(host + "/" + instance + " runs " + later + ", not " + version
                    + ": a later change owns it, left alone");
            return new Removed(false, false, later);
        }
        throw failure(h, "release-remove.sh " + app + "/" + instance, r.exitCode(), r.error());
    }

    /** {@code http://<host address>:<instance port>}. */
    public String instanceUrl(String host, String app, String instance) {
        HostConfig h = env.requireHost(host);
        return "http://" + h.address() + ":" + port(h, app, instance);
    }

    /**
     * The instance itself, on its port: {@code GET /version} must name {@code expectedVersion} and the
     * application's health path must answer 200, each probed every {@code interval} until {@code deadline}.
     */
    public InstanceHealth checkInstance(String host, String app, String instance, String expectedVersion,
                                        Duration interval, Duration deadline) {
        URI base = URI.create(instanceUrl(host, app, instance));
        HealthReport version = fleet.http.check(List.of(base.resolve("/version")), 200,
                Pattern.compile("\"version\"\\s*:\\s*\"" + Pattern.quote(expectedVersion) + "\""), interval,
                deadline, log);
        HealthReport health = fleet.http.check(List.of(base.resolve(fleet.environments.healthPath(app))), 200, null,
                interval, deadline, log);
        UrlHealth v = version.results().get(0);
        UrlHealth hh = health.results().get(0);
        String seen = TrafficAnswer.versionIn(v.bodyExcerpt());
        String detail = hh.healthy() ? "health " + hh.status() : "health " + describe(hh);
        detail += v.healthy() ? ", version " + seen : ", version " + (seen != null ? seen + " (expected "
                + expectedVersion + ")" : describe(v));
        return new InstanceHealth(v.healthy() && hh.healthy(), seen, detail);
    }

    /** {@code no answer} or {@code HTTP <status>}, with the last error when there is one. */
    public static String describe(UrlHealth u) {
        return (u.status() > 0 ? "HTTP " + u.status() : "no answer") + (u.lastError() == null ? "" : " ("
                + u.lastError() + ")");
    }

    // ------------------------------------------------------------------------------------------------ logs

    /**
     * {@code collect-logs.sh} on the host: the application logs ({@code app} only, or all when null) and the load
     * balancer logs {@code lbLogs} of [{@code since}, {@code until}], at most {@code maxBytes} before compression,
     * written gzip-compressed to a file on the host, which is then streamed back over SFTP (decompressed on the fly)
     * line by line to {@code sink} ({@code <source>\t<line as logged>}) and removed. Memory stays flat whatever the
     * size. A host that cannot be read, or a failing script, throws.
     */
    public CollectedLogs collectLogs(String host, String app, java.time.Instant since, java.time.Instant until,
                                     List<String> lbLogs, long maxBytes, java.util.function.Consumer<String> sink) {
        HostConfig h = env.requireHost(host);
        // relative to the login's home for SFTP, "~/..." for the script (which expands it)
        String relative = ".opsflow/logs/collect-" + java.util.UUID.randomUUID() + ".tsv.gz";
        String output = "~/" + relative;
        List<String> args = new ArrayList<>(List.of("--root", env.appRootOnHosts(), "--since", stamp(since),
                "--until", stamp(until), "--output", output, "--max-bytes", String.valueOf(maxBytes)));
        if (app != null) {
            args.addAll(List.of("--app", app));
        }
        lbLogs.forEach(f -> args.addAll(List.of("--lb-log", f)));
        FanOutResult<CollectedLogs> out = fleet.fanOut.forEach(List.of(fleet.targets.target(env, h)), 1, session -> {
            JsonNode j = require(h, "collect-logs.sh", fleet.workers.run(session, "collect-logs.sh", args, timeout,
                    log));
            String file = relative;
            try (net.schmizz.sshj.sftp.RemoteFile rf = session.sftp().open(file);
                 java.io.InputStream in = rf.new ReadAheadRemoteFileInputStream(16);
                 java.io.BufferedReader r = new java.io.BufferedReader(new java.io.InputStreamReader(
                         new java.util.zip.GZIPInputStream(in, 65536), java.nio.charset.StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    sink.accept(line);
                }
            } finally {
                session.sftp().rm(file);
            }
            List<String> sources = new ArrayList<>();
            j.path("sources").forEach(n -> sources.add(n.asText()));
            List<String> missing = new ArrayList<>();
            j.path("missing").forEach(n -> missing.add(n.asText()));
            log.info(host + ": collected " + j.path("lines").asLong() + " log line(s), " + j.path("bytes").asLong()
                    + " bytes (" + j.path("compressedBytes").asLong() + " compressed)"
                    + (j.path("truncated").asBoolean() ? ", TRUNCATED at " + maxBytes + " bytes" : "")
                    + (missing.isEmpty() ? "" : "; not found: " + missing));
            return new CollectedLogs(host, j.path("lines").asLong(), j.path("bytes").asLong(),
                    j.path("compressedBytes").asLong(), j.path("truncated").asBoolean(), sources, missing);
        });
        FanOutResult.HostOutcome<CollectedLogs> o = out.outcomes().get(0);
        if (!o.succeeded()) {
            throw new IllegalStateException(host + ": collecting logs failed: " + o.error().getMessage(), o.error());
        }
        return o.value();
    }

    /** {@code YYYY-MM-DDTHH:MM:SS} in UTC, as collect-logs.sh compares time stamps. */
    private static String stamp(java.time.Instant t) {
        return java.time.format.DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss").withZone(java.time.ZoneOffset.UTC)
                .format(t);
    }

    // ------------------------------------------------------------------------------------------------ systemd units

    /** {@code sudo -n systemctl restart <unit>} on the host (the deploy user needs a sudoers rule for it). */
    public SshResult restartUnit(String host, String unit) {
        return fleet.ssh.run(target(host), List.of("sudo", "-n", "systemctl", "restart", unit), timeout, log);
    }

    /**
     * Whether the host answers over SSH (a login with its verified host key and {@code true}): null when it does,
     * else why not ("exit 1", "connection refused", "host key mismatch").
     */
    public String unreachable(String host) {
        try {
            SshResult r = fleet.ssh.run(target(host), List.of("true"), timeout, log);
            return r.succeeded() ? null : "exit " + r.exitCode();
        } catch (RuntimeException ex) {
            return ex.getMessage();
        }
    }

    /** {@code systemctl is-active --quiet <unit>} on the host. */
    public boolean unitActive(String host, String unit) {
        return fleet.ssh.run(target(host), List.of("systemctl", "is-active", "--quiet", unit), timeout, log)
                .succeeded();
    }

    // ------------------------------------------------------------------------------------------------ load balancer

    /** Whether the environment has a load balancer admin API (the backend and pool methods need one). */
    public boolean hasLoadBalancerApi() {
        return env.loadBalancerApi() != null;
    }

    /**
     * The pool's active colour (null: every colour gets traffic), from {@code lb-ctl.sh status} on the first host;
     * null also when the environment has no load balancer API or no host.
     */
    public String activeColour(String pool) {
        if (!hasLoadBalancerApi() || env.hosts().isEmpty()) {
            return null;
        }
        return backend(env.hosts().get(0).name(), pool, "blue").active();
    }

    /** {@code lb-ctl.sh status} of the instance's backend; {@link Backend#present()} false when the pool lacks it. */
    public Backend backend(String host, String pool, String instance) {
        HostConfig h = env.requireHost(host);
        String id = backendId(host, instance);
        WorkerResult r = lbCtl(h, pool, id, List.of(), "status", Duration.ZERO);
        if (absent(r)) {
            return Backend.of(id, pool, r.json());
        }
        return Backend.of(id, pool, require(h, "lb-ctl.sh status " + id, r));
    }

    /**
     * {@code lb-ctl.sh add}: the instance becomes (or stays) backend {@code <host>-<instance>} of the pool with its
     * url and {@code colour} (null: none); then, unless {@code waitHealthy} is zero, up to that long until the load
     * balancer sees it healthy ({@link Backend#healthy()} says whether it did).
     */
    public Backend addBackend(String host, String pool, String instance, String colour, Duration waitHealthy) {
        HostConfig h = env.requireHost(host);
        String id = backendId(host, instance);
        List<String> extra = new ArrayList<>(List.of("--url", "http://" + h.address() + ":" + port(h, pool,
                instance)));
        if (colour != null) {
            extra.addAll(List.of("--color", colour));
        }
        if (!waitHealthy.isZero()) {
            extra.addAll(List.of("--wait-healthy", seconds(waitHealthy)));
        }
        return Backend.of(id, pool, require(h, "lb-ctl.sh add " + id, lbCtl(h, pool, id, extra, "add",
                waitHealthy)));
    }

    /** {@code lb-ctl.sh remove} (nothing to do when the pool lacks the backend). */
    public void removeBackend(String host, String pool, String instance) {
        HostConfig h = env.requireHost(host);
        String id = backendId(host, instance);
        require(h, "lb-ctl.sh remove " + id, lbCtl(h, pool, id, List.of(), "remove", Duration.ZERO));
    }

    /**
     * Drains one instance's backend: see {@link #drain(String, Collection, Duration)}. Null when the pool does not
     * have it.
     */
    public Drained drain(String host, String pool, String instance, Duration drainWait) {
        List<Drained> d = drain(env.requireHost(host), List.of(new Ref(pool, instance)), drainWait);
        return d.isEmpty() ? null : d.get(0);
    }

    /**
     * Takes the instances' backends out of their pools ({@code lb-ctl.sh drain}: no new request reaches them, the
     * ones in flight finish) and waits until none of them has a request in flight ({@code --wait-idle}), at most
     * {@code drainWait} for all of them together; when the load balancer does not count in-flight requests, the
     * rest of {@code drainWait} is waited as a fixed delay. A request still running after that is cut off by what
     * follows (the step log says how many there were). Instances that are not backends of their application's pool
     * are skipped. A zero {@code drainWait} drains without waiting. Returns the backends drained.
     */
    public List<Drained> drain(String host, Collection<HostInstance> instances, Duration drainWait) {
        List<Ref> refs = instances.stream().map(i -> new Ref(i.app(), i.instance())).toList();
        return drain(env.requireHost(host), refs, drainWait);
    }

    /** A backend to drain: the pool (= application) and the instance. */
    private record Ref(String pool, String instance) {
    }

    private List<Drained> drain(HostConfig h, List<Ref> backends, Duration drainWait) {
        long deadline = System.nanoTime() + drainWait.toNanos();
        // one backend: drain and wait in one call; several: drain them all first, then wait for each, so the waits
        // overlap and drainWait bounds them together
        boolean waitAtOnce = backends.size() == 1;
        List<Ref> drainedRefs = new ArrayList<>();
        List<Drained> drained = new ArrayList<>();
        for (Ref b : backends) {
            Drained d = drainOne(h, b.pool(), b.instance(), waitAtOnce ? drainWait : Duration.ZERO);
            if (d != null) {
                drainedRefs.add(b);
                drained.add(d);
            }
        }
        if (drained.isEmpty() || drainWait.isZero()) {
            return drained;
        }
        if (!waitAtOnce) {
            for (int i = 0; i < drainedRefs.size(); i++) {
                Duration left = left(deadline);
                Ref b = drainedRefs.get(i);
                Drained d = drainOne(h, b.pool(), b.instance(), left.isZero() ? Duration.ofSeconds(1) : left);
                drained.set(i, d != null ? d : new Drained(drained.get(i).backend(), null, null));
            }
        }
        if (drained.stream().anyMatch(d -> d.idle() == null)) {
            Duration left = left(deadline);
            log.info("drained " + drained.stream().map(Drained::backend).toList() + "; the load balancer does not "
                    + "count in-flight requests: waiting " + left);
            sleep(left);
        }
        return drained;
    }

    private Drained drainOne(HostConfig h, String pool, String instance, Duration waitIdle) {
        String id = backendId(h.name(), instance);
        List<String> extra = waitIdle.isZero() ? List.of() : List.of("--wait-idle", seconds(waitIdle));
        WorkerResult r = lbCtl(h, pool, id, extra, "drain", waitIdle);
        if (absent(r)) {
            log.info(id + " is not a backend of pool " + pool + ": drain skipped");
            return null;
        }
        JsonNode j = require(h, "lb-ctl.sh drain " + id, r);
        Drained d = new Drained(id, Json.bool(j, "idle"), j.path("inFlight").isInt() ? j.path("inFlight").asInt()
                : null);
        if (Boolean.TRUE.equals(d.idle())) {
            log.info("drained " + id + ": no request in flight (waited " + j.path("waitedMs").asLong() + " ms)");
        } else if (Boolean.FALSE.equals(d.idle())) {
            log.info("drained " + id + ": still " + d.inFlight() + " request(s) in flight after " + waitIdle
                    + " (opsflow drain-wait); going on: they will be cut off");
        }
        return d;
    }

    /**
     * {@code lb-ctl.sh undrain}: the backend gets traffic again; then, unless {@code waitHealthy} is zero, up to
     * that long until the load balancer sees it healthy (not healthy by then: an exception). Null when the pool
     * does not have the backend.
     */
    public Backend undrain(String host, String pool, String instance, Duration waitHealthy) {
        HostConfig h = env.requireHost(host);
        String id = backendId(host, instance);
        List<String> extra = waitHealthy.isZero() ? List.of() : List.of("--wait-healthy", seconds(waitHealthy));
        WorkerResult r = lbCtl(h, pool, id, extra, "undrain", waitHealthy);
        if (absent(r)) {
            log.info(id + " is not a backend of pool " + pool + ": undrain skipped");
            return null;
        }
        return Backend.of(id, pool, require(h, "lb-ctl.sh undrain " + id, r));
    }

    /**
     * {@code lb-switch.sh} on the environment's first host: the pool's traffic goes to its backends of
     * {@code colour} only (refused when none of them is healthy and undrained).
     */
    public void switchTo(String pool, String colour) {
        String api = api();
        if (env.hosts().isEmpty()) {
            throw new IllegalStateException("environment " + env.name() + " has no host to run lb-switch.sh on");
        }
        HostConfig first = env.hosts().get(0);
        require(first, "lb-switch.sh --to " + colour, run(first, "lb-switch.sh", List.of("--api", api, "--pool",
                pool, "--to", colour)));
    }

    private WorkerResult lbCtl(HostConfig h, String pool, String id, List<String> extra, String action,
                               Duration wait) {
        List<String> args = new ArrayList<>(List.of("--api", api(), "--pool", pool, "--backend", id));
        args.addAll(extra);
        args.add(action);
        return run(h, "lb-ctl.sh", args, timeout.plus(wait));
    }

    /** lb-ctl.sh's answer for a backend the pool does not have (exit 1, {@code "present":false}). */
    private static boolean absent(WorkerResult r) {
        return !r.ok() && r.exitCode() == 1 && r.json().path("present").isBoolean()
                && !r.json().path("present").asBoolean();
    }

    private String api() {
        String api = env.loadBalancerApi();
        if (api == null) {
            throw new IllegalStateException("environment " + env.name() + " has no load balancer api-url "
                    + "(opsflow.environments." + env.name() + ".load-balancer.api-url)");
        }
        return api;
    }

    // ------------------------------------------------------------------------------------------------ traffic

    /** Whether the environment has a load balancer url clients send traffic to. */
    public boolean hasLoadBalancerUrl() {
        return env.loadBalancerUrl() != null;
    }

    /**
     * {@code <load balancer url>/<pool>/<path>}: a request the load balancer hands to the pool with {@code /<path>}
     * (a pool's name as the first path segment routes to it, docs/contracts.md).
     */
    public URI loadBalancerUri(String pool, String path) {
        String lb = env.loadBalancerUrl();
        if (lb == null) {
            throw new IllegalStateException("environment " + env.name() + " has no load balancer url "
                    + "(opsflow.environments." + env.name() + ".load-balancer.url)");
        }
        return URI.create(lb + "/" + pool + "/" + (path.startsWith("/") ? path.substring(1) : path));
    }

    /** One {@code GET} of {@link #loadBalancerUri}, 5 s. */
    public TrafficAnswer viaLoadBalancer(String pool, String path) {
        return fleet.get(loadBalancerUri(pool, path));
    }

    /** The application's health path through the load balancer, probed every {@code interval} until healthy. */
    public UrlHealth healthViaLoadBalancer(String pool, Duration interval, Duration deadline) {
        return fleet.http.check(List.of(loadBalancerUri(pool, fleet.environments.healthPath(pool))), 200, null,
                interval, deadline, log).results().get(0);
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /** Backend id of an instance in its application's pool, as the sandbox and the runbooks register them. */
    static String backendId(String host, String instance) {
        return host + "-" + instance;
    }

    /** Whole seconds for a script argument, at least 1. */
    static String seconds(Duration d) {
        return String.valueOf(Math.max(1, d.toSeconds()));
    }

    private int port(HostConfig h, String app, String instance) {
        return fleet.environments.instancePort(h, app, instance);
    }

    private SshTarget target(String host) {
        return fleet.targets.target(env, env.requireHost(host));
    }

    private WorkerResult run(HostConfig h, String script, List<String> args) {
        return run(h, script, args, timeout);
    }

    /**
     * A worker on one host. Failing to reach the host, a timeout or unreadable output throws an exception whose
     * message starts with the host's name and the script (the SSH layer knows only {@code user@address:port}), so an
     * incident names the host and the step; a stopped step's exception passes unchanged.
     */
    private WorkerResult run(HostConfig h, String script, List<String> args, Duration limit) {
        try {
            return fleet.workers.run(fleet.targets.target(env, h), script, args, limit, log);
        } catch (StepCancelledException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new IllegalStateException(h.name() + ": " + script + " failed: " + e.getMessage(), e);
        }
    }

    private static JsonNode require(HostConfig h, String what, WorkerResult r) {
        if (!r.ok()) {
            throw failure(h, what, r.exitCode(), r.error());
        }
        return r.json();
    }

    private static IllegalStateException failure(HostConfig h, String what, int exitCode, String error) {
        return new IllegalStateException(h.name() + ": " + what + " failed (exit " + exitCode + "): " + error);
    }

    private static Duration left(long deadline) {
        return Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
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
