package io.opsflow.release;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.camunda.bpm.engine.impl.context.BpmnExecutionContext;
import org.camunda.bpm.engine.impl.context.Context;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import com.fasterxml.jackson.databind.JsonNode;

import io.opsflow.platform.environments.Environment;
import io.opsflow.platform.environments.Environments;
import io.opsflow.platform.environments.HostConfig;
import io.opsflow.step.ansible.AnsibleRun;
import io.opsflow.step.ansible.AnsibleStep;
import io.opsflow.step.ansible.PlaybookResult;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;
import io.opsflow.step.http.HealthReport;
import io.opsflow.step.http.HttpHealthCheck;
import io.opsflow.step.http.UrlHealth;
import io.opsflow.step.ssh.FanOutResult;
import io.opsflow.step.ssh.HostTargets;
import io.opsflow.step.ssh.SshFanOut;
import io.opsflow.step.ssh.SshTarget;
import io.opsflow.step.ssh.WorkerResult;
import io.opsflow.step.ssh.WorkerScripts;

/**
 * The real {@link ReleaseOperations}: drives the hosts of an environment (sandbox or real, the same code path)
 * through the workers/ scripts over SSH ({@code inventory.sh}, {@code release-activate.sh}, {@code service.sh},
 * {@code release-remove.sh}, {@code lb-ctl.sh}, {@code lb-switch.sh}), Ansible ({@code deploy-app.yml},
 * {@code configure-host.yml}) and HTTP health checks, with everything it does written to the step log of the
 * activity that called it ({@code var/logs/<processInstanceId>/<activityInstanceId>.log}).
 *
 * <p>Where things are: hosts, SSH, artifact store, application root, load balancer from {@link Environments}; ports
 * from {@link Environments#instancePort}; load balancer backends are named {@code <host>-<instance>} (as the
 * sandbox registers them); load balancer scripts run on the host they concern (switches on the environment's first
 * host), so the admin API only needs to be reachable from the hosts.
 */
@Component
public class FleetReleaseOperations implements ReleaseOperations {
    private static final Logger LOG = LoggerFactory.getLogger(FleetReleaseOperations.class);
    private static final Pattern VERSION_FIELD = Pattern.compile("\"version\"\\s*:\\s*\"([^\"]{1,100})\"");

    private final Environments environments;
    private final HostTargets targets;
    private final WorkerScripts workers;
    private final SshFanOut fanOut;
    private final HttpHealthCheck http;
    private final AnsibleStep ansible;
    private final StepLogs stepLogs;
    private final ReleaseProperties props;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .followRedirects(HttpClient.Redirect.NEVER).build();

    public FleetReleaseOperations(Environments environments, HostTargets targets, WorkerScripts workers,
                                  SshFanOut fanOut, HttpHealthCheck http, AnsibleStep ansible, StepLogs stepLogs,
                                  ReleaseProperties props) {
        this.environments = environments;
        this.targets = targets;
        this.workers = workers;
        this.fanOut = fanOut;
        this.http = http;
        this.ansible = ansible;
        this.stepLogs = stepLogs;
        this.props = props;
    }

    // ------------------------------------------------------------------------------------------------ observe

    @Override
    public FleetState observe(String environment, String application) {
        Environment e = environments.get(environment);
        List<String> hostNames = e.hosts().stream().map(HostConfig::name).toList();
        List<InstanceState> instances = new ArrayList<>();
        try (StepLog log = log()) {
            log.line("step", "observe " + application + " on " + hostNames);
            List<SshTarget> ts = e.hosts().stream().map(h -> targets.target(e, h)).toList();
            FanOutResult<WorkerResult> inv = fanOut.forEach(ts, Math.max(1, e.parallelism()),
                    session -> workers.run(session, "inventory.sh", List.of("--root", root(e), "--no-health"),
                            props.getWorkerTimeout(), log));
            List<String> problems = new ArrayList<>();
            for (int i = 0; i < hostNames.size(); i++) {
                FanOutResult.HostOutcome<WorkerResult> o = inv.outcomes().get(i);
                String host = hostNames.get(i);
                if (!o.succeeded()) {
                    problems.add(host + ": " + o.error().getMessage());
                    continue;
                }
                if (!o.value().ok()) {
                    problems.add(host + ": inventory.sh failed (exit " + o.value().exitCode() + "): "
                            + o.value().error());
                    continue;
                }
                for (JsonNode i2 : o.value().json().path("instances")) {
                    if (application.equals(i2.path("app").asText())) {
                        instances.add(new InstanceState(host, i2.path("instance").asText(), text(i2, "version"),
                                "running".equals(i2.path("state").asText())));
                    }
                }
            }
            if (!problems.isEmpty()) {
                throw new IllegalStateException("cannot observe " + application + " in " + environment + ": "
                        + String.join("; ", problems));
            }
            String active = null;
            if (lbApi(e) != null && !e.hosts().isEmpty()) {
                HostConfig first = e.hosts().get(0);
                JsonNode st = require(run(e, first, "lb-ctl.sh", List.of("--api", lbApi(e), "--pool", application,
                        "--backend", backendId(first.name(), "blue"), "status"), log), first, "lb-ctl.sh status");
                active = text(st, "active");
            }
            FleetState fleet = new FleetState(hostNames, active, instances);
            log.line("step", "observed: " + fleet.liveVersions() + ", load balancer colour " + active);
            return fleet;
        }
    }

    // ------------------------------------------------------------------------------------------------ evidence

    @Override
    public CheckDiff checkDiff(String environment, String application, String version, List<PlanEntry> targetList) {
        Environment e = environments.get(environment);
        List<AnsibleRun> runs = targetList.stream()
                .map(t -> deployRun(e, host(e, t.host()), application, version, t.instance(), true)).toList();
        List<PlaybookResult> results = new ArrayList<>();
        try (StepLog log = log()) {
            // one run per host (each host has its own instance port), up to the environment's parallelism at once
            ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(e.parallelism(),
                    Math.max(1, runs.size()))));
            try {
                List<Future<PlaybookResult>> futures = runs.stream()
                        .map(r -> pool.submit(() -> ansible.runPlaybook(r, log))).toList();
                for (Future<PlaybookResult> f : futures) {
                    results.add(f.get());
                }
            } catch (ExecutionException ex) {
                throw ex.getCause() instanceof RuntimeException re ? re
                        : new IllegalStateException(ex.getCause().getMessage(), ex.getCause());
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while running the deploy playbook in check mode", ex);
            } finally {
                pool.shutdownNow();
            }
        }
        StringBuilder out = new StringBuilder();
        List<String> changed = new ArrayList<>();
        List<String> failed = new ArrayList<>();
        for (int i = 0; i < targetList.size(); i++) {
            PlanEntry t = targetList.get(i);
            PlaybookResult r = results.get(i);
            if (!r.unreachableHosts().isEmpty() && r.failedHosts().isEmpty()) {
                r.requireSuccess(); // unreachable: technical, retried, then an incident
            }
            if (!r.failedHosts().isEmpty()) {
                failed.add(t.host() + ": " + r.failures().stream().map(f -> f.task() + ": " + f.msg())
                        .reduce((a, b) -> a + "; " + b).orElse(r.summary()));
            } else if (r.changed()) {
                changed.add(t.host());
            }
            String diff = r.diffText(ReleaseVars.MAX_TEXT);
            out.append("### ").append(t.host()).append(" (").append(t.instance()).append(")\n")
                    .append(diff.isEmpty() ? "no changes\n" : diff).append('\n');
        }
        String summary = failed.isEmpty()
                ? changed.size() + " of " + targetList.size() + " host(s) would change" + (changed.isEmpty() ? ""
                : " (" + String.join(", ", changed) + ")")
                : "failed on " + String.join("; ", failed);
        return new CheckDiff(failed.isEmpty(), summary, out.toString(), changed);
    }

    // ------------------------------------------------------------------------------------------------ instances

    @Override
    public Activation activate(String environment, String application, String host, String instance,
                               String version) {
        Environment e = environments.get(environment);
        HostConfig h = host(e, host);
        try (StepLog log = log()) {
            WorkerResult r = run(e, h, "release-activate.sh", activateArgs(e, h, application, instance, version), log);
            JsonNode j = r.json();
            if (r.ok()) {
                return new Activation(host, instance, text(j, "previousVersion"), version, true,
                        "healthy on port " + j.path("port").asText());
            }
            if (r.exitCode() == 1 && j.path("healthy").isBoolean()) {
                log.line("step", host + "/" + instance + " runs " + version + " but is unhealthy: " + r.error());
                return new Activation(host, instance, text(j, "previousVersion"), version, false, r.error());
            }
            throw failure(h, "release-activate.sh " + application + " " + version + " on " + instance, r);
        }
    }

    @Override
    public void restore(String environment, String application, String host, String instance,
                        String previousVersion) {
        if (previousVersion == null) {
            removeInstance(environment, application, host, instance, null);
            return;
        }
        Environment e = environments.get(environment);
        HostConfig h = host(e, host);
        try (StepLog log = log()) {
            WorkerResult r = run(e, h, "release-activate.sh",
                    activateArgs(e, h, application, instance, previousVersion), log);
            if (r.ok()) {
                return;
            }
            if (r.exitCode() == 1 && r.json().path("healthy").isBoolean()) {
                // restored, but the previous version is not healthy either: the rollback verification reports it
                LOG.warn("{}/{} restored to {} but unhealthy: {}", host, instance, previousVersion, r.error());
                log.line("step", host + "/" + instance + " restored to " + previousVersion + " but unhealthy: "
                        + r.error());
                return;
            }
            throw failure(h, "restoring " + application + " " + previousVersion + " on " + instance, r);
        }
    }

    @Override
    public void startInstance(String environment, String application, String host, String instance) {
        Environment e = environments.get(environment);
        HostConfig h = host(e, host);
        try (StepLog log = log()) {
            WorkerResult r = run(e, h, "service.sh", serviceArgs(e, application, instance, "start"), log);
            if (r.ok()) {
                return;
            }
            if (r.exitCode() == 1 && "running".equals(r.json().path("state").asText())) {
                log.line("step", host + "/" + instance + " started but unhealthy: " + r.error());
                return; // started: the health check step decides
            }
            throw failure(h, "service.sh start " + application + "/" + instance, r);
        }
    }

    @Override
    public void stopInstance(String environment, String application, String host, String instance) {
        Environment e = environments.get(environment);
        HostConfig h = host(e, host);
        try (StepLog log = log()) {
            require(run(e, h, "service.sh", serviceArgs(e, application, instance, "stop"), log), h,
                    "service.sh stop " + application + "/" + instance);
        }
    }

    @Override
    public void removeInstance(String environment, String application, String host, String instance,
                               String version) {
        Environment e = environments.get(environment);
        HostConfig h = host(e, host);
        List<String> args = new ArrayList<>(List.of("--root", root(e), "--app", application, "--instance", instance));
        if (version != null) {
            args.addAll(List.of("--version", version));
        }
        try (StepLog log = log()) {
            WorkerResult r = run(e, h, "release-remove.sh", args, log);
            if (r.ok()) {
                return;
            }
            if (r.exitCode() == 1 && r.json().has("currentVersion")) {
                log.line("step", host + "/" + instance + " runs " + text(r.json(), "currentVersion") + ", not "
                        + version + ": a later change owns it, left alone");
                return;
            }
            throw failure(h, "release-remove.sh " + application + "/" + instance, r);
        }
    }

    @Override
    public void installRelease(String environment, String application, String version, String host,
                               String instance) {
        Environment e = environments.get(environment);
        HostConfig h = host(e, host);
        try (StepLog log = log()) {
            ansible.runPlaybook(deployRun(e, h, application, version, instance, false), log).requireSuccess();
        }
    }

    @Override
    public void configureHosts(String environment, String application, List<String> hosts) {
        Environment e = environments.get(environment);
        hosts.forEach(n -> host(e, n));
        try (StepLog log = log()) {
            AnsibleRun.Builder run = AnsibleRun.builder(ansible.playbook("configure-host.yml"), inventory(e))
                    .limit(limit(e, String.join(",", hosts))).timeout(props.getPlaybookTimeout())
                    .hostKeyChecking(hostKeyChecking(e));
            props.getAnsibleEnv().forEach(run::env);
            ansible.runPlaybook(run.build(), log).requireSuccess();
        }
    }

    // ------------------------------------------------------------------------------------------------ health

    @Override
    public HealthResult checkInstance(String environment, String application, String host, String instance,
                                      String expectedVersion) {
        Environment e = environments.get(environment);
        HostConfig h = host(e, host);
        URI base = URI.create("http://" + h.address() + ":" + environments.instancePort(h, application, instance));
        try (StepLog log = log()) {
            HealthReport version = http.check(List.of(base.resolve("/version")), 200,
                    Pattern.compile("\"version\"\\s*:\\s*\"" + Pattern.quote(expectedVersion) + "\""),
                    props.getHealthInterval(), props.getHealthDeadline(), log);
            HealthReport health = http.check(List.of(base.resolve(environments.healthPath(application))), 200, null,
                    props.getHealthInterval(), props.getHealthDeadline(), log);
            UrlHealth v = version.results().get(0);
            UrlHealth hh = health.results().get(0);
            String seen = versionIn(v.bodyExcerpt());
            boolean ok = v.healthy() && hh.healthy();
            String detail = hh.healthy() ? "health " + hh.status() : "health " + describe(hh);
            detail += v.healthy() ? ", version " + seen : ", version " + (seen != null ? seen + " (expected "
                    + expectedVersion + ")" : describe(v));
            return new HealthResult(ok, detail, seen == null ? Set.of() : Set.of(seen));
        }
    }

    @Override
    public HealthResult checkThroughLoadBalancer(String environment, String application,
                                                 Set<String> acceptedVersions) {
        Environment e = environments.get(environment);
        String lb = e.loadBalancer() == null ? null : e.loadBalancer().url();
        if (lb == null || lb.isBlank()) {
            return HealthResult.ok("environment " + environment + " has no load balancer", null);
        }
        URI base = URI.create(lb.replaceAll("/+$", "") + "/" + application + "/");
        try (StepLog log = log()) {
            UrlHealth health = http.check(List.of(base.resolve(healthPath(application))), 200, null,
                    props.getHealthInterval(), props.getHealthDeadline(), log).results().get(0);
            if (!health.healthy()) {
                return HealthResult.failed("through the load balancer " + base + ": health " + describe(health));
            }
            Map<String, Integer> seen = new LinkedHashMap<>();
            Set<String> versions = new LinkedHashSet<>();
            List<String> bad = new ArrayList<>();
            for (int i = 0; i < props.getLoadBalancerSamples(); i++) {
                HttpResponse<String> resp = get(base.resolve("version"));
                String v = resp == null ? null : versionIn(resp.body());
                String key = resp == null ? "no answer" : resp.statusCode() != 200 ? "HTTP " + resp.statusCode()
                        : v == null ? "no version" : v;
                seen.merge(key, 1, Integer::sum);
                if (v != null) {
                    versions.add(v);
                }
                if (v == null || resp.statusCode() != 200 || !acceptedVersions.contains(v)) {
                    bad.add(key);
                }
            }
            String detail = props.getLoadBalancerSamples() + " requests through " + base + "version: " + seen;
            log.line("step", detail + " (accepted " + acceptedVersions + ")");
            return new HealthResult(bad.isEmpty(), bad.isEmpty() ? detail : detail + "; not accepted: "
                    + new LinkedHashSet<>(bad), versions);
        }
    }

    // ------------------------------------------------------------------------------------------------ load balancer

    @Override
    public void drain(String environment, String application, String host, String instance) {
        // no new requests, and the ones in flight finish before the instance is switched (release-activate.sh
        // restarts it): at most drain-wait
        backendAction(environment, application, host, instance, "drain", props.getDrainWait().isZero() ? List.of()
                : List.of("--wait-idle", String.valueOf(Math.max(1, props.getDrainWait().toSeconds()))));
    }

    @Override
    public void undrain(String environment, String application, String host, String instance) {
        backendAction(environment, application, host, instance, "undrain", List.of("--wait-healthy",
                String.valueOf(props.getLoadBalancerWaitHealthy().toSeconds())));
    }

    @Override
    public void registerBackend(String environment, String application, String host, String instance,
                                String colour) {
        Environment e = environments.get(environment);
        HostConfig h = host(e, host);
        if (lbApi(e) == null) {
            return;
        }
        try (StepLog log = log()) {
            require(run(e, h, "lb-ctl.sh", List.of("--api", lbApi(e), "--pool", application, "--backend",
                    backendId(host, instance), "--url", "http://" + h.address() + ":"
                            + environments.instancePort(h, application, instance), "--color", colour, "add"), log),
                    h, "lb-ctl.sh add " + backendId(host, instance));
        }
    }

    @Override
    public void deregisterBackend(String environment, String application, String host, String instance) {
        Environment e = environments.get(environment);
        HostConfig h = host(e, host);
        if (lbApi(e) == null) {
            return;
        }
        try (StepLog log = log()) {
            require(run(e, h, "lb-ctl.sh", List.of("--api", lbApi(e), "--pool", application, "--backend",
                    backendId(host, instance), "remove"), log), h, "lb-ctl.sh remove " + backendId(host, instance));
        }
    }

    @Override
    public void switchColour(String environment, String application, String colour) {
        Environment e = environments.get(environment);
        if (lbApi(e) == null) {
            throw new IllegalStateException("environment " + environment + " has no load balancer api-url: "
                    + "blue-green needs one (opsflow.environments." + environment + ".load-balancer.api-url)");
        }
        HostConfig first = e.hosts().get(0);
        try (StepLog log = log()) {
            require(run(e, first, "lb-switch.sh", List.of("--api", lbApi(e), "--pool", application, "--to", colour),
                    log), first, "lb-switch.sh --to " + colour);
        }
    }

    private void backendAction(String environment, String application, String host, String instance, String action,
                               List<String> extra) {
        Environment e = environments.get(environment);
        HostConfig h = host(e, host);
        if (lbApi(e) == null) {
            return;
        }
        List<String> args = new ArrayList<>(List.of("--api", lbApi(e), "--pool", application, "--backend",
                backendId(host, instance)));
        args.addAll(extra);
        args.add(action);
        try (StepLog log = log()) {
            WorkerResult r = run(e, h, "lb-ctl.sh", args, log);
            if (r.ok()) {
                if (r.json().path("idle").isBoolean() && !r.json().path("idle").asBoolean()) {
                    log.line("step", backendId(host, instance) + " still had " + r.json().path("inFlight").asInt()
                            + " request(s) in flight after opsflow.release.drain-wait; going on: they will be cut off");
                }
                return;
            }
            if (r.exitCode() == 1 && r.json().path("present").isBoolean() && !r.json().path("present").asBoolean()) {
                log.line("step", backendId(host, instance) + " is not a backend of pool " + application + ": "
                        + action + " skipped");
                return;
            }
            throw failure(h, "lb-ctl.sh " + action + " " + backendId(host, instance), r);
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /** Backend id of an instance in its application's pool (as the sandbox registers them). */
    static String backendId(String host, String instance) {
        return host + "-" + instance;
    }

    private StepLog log() {
        BpmnExecutionContext ctx = Context.getBpmnExecutionContext();
        if (ctx != null && ctx.getExecution() != null) {
            return stepLogs.forExecution(ctx.getExecution());
        }
        return StepLogs.noop();
    }

    private static HostConfig host(Environment e, String name) {
        return e.host(name).orElseThrow(() -> new IllegalArgumentException("environment " + e.name()
                + " has no host " + name + " (hosts: " + e.hosts().stream().map(HostConfig::name).toList() + ")"));
    }

    private static String root(Environment e) {
        return e.appRoot() == null || e.appRoot().isBlank() ? "~" : e.appRoot();
    }

    private static String lbApi(Environment e) {
        String api = e.loadBalancer() == null ? null : e.loadBalancer().apiUrl();
        return api == null || api.isBlank() ? null : api.replaceAll("/+$", "");
    }

    private String healthPath(String application) {
        String p = environments.healthPath(application);
        return p.startsWith("/") ? p.substring(1) : p;
    }

    private List<String> activateArgs(Environment e, HostConfig h, String app, String instance, String version) {
        List<String> args = new ArrayList<>(List.of("--root", root(e), "--app", app, "--instance", instance,
                "--version", version, "--artifact", artifact(e, app, version), "--port",
                String.valueOf(environments.instancePort(h, app, instance)), "--health-path",
                environments.healthPath(app), "--health-timeout",
                String.valueOf(Math.max(1, props.getStartHealthTimeout().toSeconds()))));
        if (props.isVerifyArtifactChecksum()) {
            args.addAll(List.of("--sha256", "auto"));
        }
        return args;
    }

    private List<String> serviceArgs(Environment e, String app, String instance, String action) {
        return List.of("--root", root(e), "--app", app, "--instance", instance, "--health-timeout",
                String.valueOf(Math.max(1, props.getStartHealthTimeout().toSeconds())), action);
    }

    /** {@code <store>/<app>-<version>.tar.gz}: a directory on the hosts or an http(s) URL base. */
    static String artifact(Environment e, String app, String version) {
        String store = e.artifactStore();
        if (store == null || store.isBlank()) {
            throw new IllegalStateException("environment " + e.name() + " has no artifact store "
                    + "(opsflow.environments." + e.name() + ".artifact-store)");
        }
        return store.replaceAll("/+$", "") + "/" + app + "-" + version + ".tar.gz";
    }

    private WorkerResult run(Environment e, HostConfig h, String script, List<String> args, StepLog log) {
        return workers.run(targets.target(e, h), script, args, props.getWorkerTimeout(), log);
    }

    private static JsonNode require(WorkerResult r, HostConfig h, String what) {
        if (!r.ok()) {
            throw failure(h, what, r);
        }
        return r.json();
    }

    private static IllegalStateException failure(HostConfig h, String what, WorkerResult r) {
        return new IllegalStateException(h.name() + ": " + what + " failed (exit " + r.exitCode() + "): "
                + r.error());
    }

    private AnsibleRun deployRun(Environment e, HostConfig h, String app, String version, String instance,
                                 boolean check) {
        Map<String, Object> vars = new LinkedHashMap<>();
        vars.put("app", app);
        vars.put("version", version);
        vars.put("instance", instance);
        vars.put("port", environments.instancePort(h, app, instance));
        AnsibleRun.Builder run = AnsibleRun.builder(ansible.playbook("deploy-app.yml"), inventory(e))
                .limit(limit(e, h.name())).extraVars(vars).checkMode(check).timeout(props.getPlaybookTimeout())
                .hostKeyChecking(hostKeyChecking(e));
        props.getAnsibleEnv().forEach(run::env);
        return run.build();
    }

    private Path inventory(Environment e) {
        String inv = e.ansibleInventory();
        if (inv == null || inv.isBlank()) {
            throw new IllegalStateException("environment " + e.name() + " has no Ansible inventory "
                    + "(opsflow.environments." + e.name() + ".ansible-inventory)");
        }
        Path p = Path.of(inv);
        if (p.isAbsolute() || Files.exists(p)) {
            return p.toAbsolutePath().normalize();
        }
        return ansible.properties().ansibleDir().resolve(p).normalize();
    }

    /** The hosts, confined to the inventory group named like the environment. */
    private static String limit(Environment e, String hosts) {
        return hosts + ",&" + e.name();
    }

    private static boolean hostKeyChecking(Environment e) {
        return e.ssh() == null || e.ssh().hostKeyChecking();
    }

    private HttpResponse<String> get(URI uri) {
        try {
            return client.send(HttpRequest.newBuilder(uri).GET().timeout(Duration.ofSeconds(5))
                    .header("User-Agent", "opsflow-release").build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException ex) {
            return null;
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while checking " + uri, ex);
        }
    }

    static String versionIn(String body) {
        if (body == null) {
            return null;
        }
        Matcher m = VERSION_FIELD.matcher(body);
        return m.find() ? m.group(1) : null;
    }

    private static String describe(UrlHealth u) {
        return (u.status() > 0 ? "HTTP " + u.status() : "no answer") + (u.lastError() == null ? "" : " ("
                + u.lastError() + ")");
    }

    private static String text(JsonNode j, String field) {
        JsonNode v = j.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }
}
