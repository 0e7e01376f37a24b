package io.opsflow.release;

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

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import io.opsflow.fleet.ActivationCheck;
import io.opsflow.fleet.Activated;
import io.opsflow.fleet.Fleet;
import io.opsflow.fleet.FleetScope;
import io.opsflow.fleet.InstanceHealth;
import io.opsflow.fleet.Slot;
import io.opsflow.fleet.TrafficAnswer;
import io.opsflow.environments.Environment;
import io.opsflow.environments.Environments;
import io.opsflow.environments.HostConfig;
import io.opsflow.step.ansible.AnsibleRun;
import io.opsflow.step.ansible.AnsibleStep;
import io.opsflow.step.ansible.PlaybookResult;
import io.opsflow.step.exec.StepCancellation;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.http.UrlHealth;

/**
 * The real {@link ReleaseOperations}: drives the hosts and the load balancer of an environment (sandbox or real, the
 * same code path) through the {@link Fleet} client, and Ansible ({@code deploy-app.yml}, {@code configure-host.yml})
 * through {@link AnsibleStep}; everything it does goes to the step log it is given. Timings from
 * {@code opsflow.release.*} ({@link ReleaseProperties}).
 */
@Component
class FleetReleaseOperations implements ReleaseOperations {
    private static final Logger LOG = LoggerFactory.getLogger(FleetReleaseOperations.class);

    private final Fleet fleet;
    private final Environments environments;
    private final AnsibleStep ansible;
    private final ReleaseProperties props;

    FleetReleaseOperations(Fleet fleet, Environments environments, AnsibleStep ansible, ReleaseProperties props) {
        this.fleet = fleet;
        this.environments = environments;
        this.ansible = ansible;
        this.props = props;
    }

    private FleetScope fleet(String environment, StepLog log) {
        return fleet.in(environment, props.getWorkerTimeout(), log);
    }

    @Override
    public int parallelism(String environment) {
        return Math.max(1, environments.get(environment).parallelism());
    }

    // ------------------------------------------------------------------------------------------------ observe

    @Override
    public FleetState observe(String environment, String application, StepLog log) {
        FleetScope f = fleet(environment, log);
        List<String> hosts = f.environment().hostNames();
        log.line("step", "observe " + application + " on " + hosts);
        List<InstanceState> instances = new ArrayList<>();
        f.inventory(false).values().forEach(onHost -> onHost.stream().filter(i -> application.equals(i.app()))
                .forEach(i -> instances.add(new InstanceState(i.host(), i.instance(), i.version(), i.running()))));
        String active = f.activeColour(application);
        FleetState state = new FleetState(hosts, active, instances);
        log.line("step", "observed: " + state.liveVersions() + ", load balancer colour " + active);
        return state;
    }

    // ------------------------------------------------------------------------------------------------ evidence

    @Override
    public CheckDiff checkDiff(String environment, String application, String version, List<PlanEntry> targetList,
                               StepLog log) {
        Environment e = environments.get(environment);
        List<AnsibleRun> runs = targetList.stream()
                .map(t -> deployRun(e, e.requireHost(t.host()), application, version, t.instance(), true)).toList();
        List<PlaybookResult> results = new ArrayList<>();
        // one run per host (each host has its own instance port), up to the environment's parallelism at once
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(e.parallelism(),
                Math.max(1, runs.size()))));
        try {
            List<Future<PlaybookResult>> futures = runs.stream()
                    .map(r -> pool.submit(StepCancellation.inheriting(() -> ansible.runPlaybook(r, log)))).toList();
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

    @Override
    public CheckDiff dryRun(String environment, String application, String version, List<PlanEntry> targets,
                            StepLog log) {
        List<ActivationCheck> checks = fleet(environment, log).checkActivations(application, version,
                targets.stream().map(t -> new Slot(t.host(), t.instance())).toList(), props.getStartHealthTimeout(),
                props.isVerifyArtifactChecksum());
        StringBuilder out = new StringBuilder();
        List<String> changed = new ArrayList<>();
        List<String> failed = new ArrayList<>();
        for (ActivationCheck c : checks) {
            out.append("### ").append(c.host()).append(" (").append(c.instance()).append(")\n").append(c.describe())
                    .append('\n');
            if (!c.ok()) {
                failed.add(c.host() + ": " + c.error());
            } else if (c.changes()) {
                changed.add(c.host());
            }
        }
        String summary = failed.isEmpty()
                ? changed.size() + " of " + checks.size() + " host(s) would change" + (changed.isEmpty() ? ""
                : " (" + String.join(", ", changed) + ")")
                : "failed on " + String.join("; ", failed);
        return new CheckDiff(failed.isEmpty(), summary, out.toString(), changed);
    }

    // ------------------------------------------------------------------------------------------------ instances

    @Override
    public Activation activate(String environment, String application, String host, String instance,
                               String version, StepLog log) {
        Activated a = fleet(environment, log).activate(host, application, instance, version,
                props.getStartHealthTimeout(), props.isVerifyArtifactChecksum());
        return new Activation(host, instance, a.previousVersion(), version, a.healthy(),
                a.healthy() ? "healthy on port " + a.port() : a.error());
    }

    @Override
    public void restore(String environment, String application, String host, String instance,
                        String previousVersion, StepLog log) {
        if (previousVersion == null) {
            removeInstance(environment, application, host, instance, null, log);
            return;
        }
        Activated a = fleet(environment, log).activate(host, application, instance, previousVersion,
                props.getStartHealthTimeout(), props.isVerifyArtifactChecksum());
        if (!a.healthy()) {
            // restored, but the previous version is not healthy either: the rollback verification reports it
            LOG.warn("{}/{} restored to {} but unhealthy: {}", host, instance, previousVersion, a.error());
            log.line("step", host + "/" + instance + " restored to " + previousVersion + " but unhealthy: "
                    + a.error());
        }
    }

    @Override
    public void startInstance(String environment, String application, String host, String instance, StepLog log) {
        // started but unhealthy is no failure here: the health check step decides
        fleet(environment, log).start(host, application, instance, props.getStartHealthTimeout());
    }

    @Override
    public void stopInstance(String environment, String application, String host, String instance, StepLog log) {
        fleet(environment, log).stop(host, application, instance);
    }

    @Override
    public void removeInstance(String environment, String application, String host, String instance,
                               String version, StepLog log) {
        fleet(environment, log).remove(host, application, instance, version);
    }

    // ------------------------------------------------------------------------------------------------ health

    @Override
    public HealthResult checkInstance(String environment, String application, String host, String instance,
                                      String expectedVersion, StepLog log) {
        InstanceHealth h = fleet(environment, log).checkInstance(host, application, instance, expectedVersion,
                props.getHealthInterval(), props.getHealthDeadline());
        return new HealthResult(h.healthy(), h.detail(), h.version() == null ? Set.of() : Set.of(h.version()));
    }

    @Override
    public HealthResult checkThroughLoadBalancer(String environment, String application,
                                                 Set<String> acceptedVersions, StepLog log) {
        FleetScope f = fleet(environment, log);
        if (!f.hasLoadBalancerUrl()) {
            return HealthResult.ok("environment " + environment + " has no load balancer", null);
        }
        String base = f.loadBalancerUri(application, "").toString();
        UrlHealth health = f.healthViaLoadBalancer(application, props.getHealthInterval(), props.getHealthDeadline());
        if (!health.healthy()) {
            return HealthResult.failed("through the load balancer " + base + ": health " + FleetScope.describe(health));
        }
        Map<String, Integer> seen = new LinkedHashMap<>();
        Set<String> versions = new LinkedHashSet<>();
        List<String> bad = new ArrayList<>();
        for (int i = 0; i < props.getLoadBalancerSamples(); i++) {
            TrafficAnswer a = f.viaLoadBalancer(application, "version");
            String v = a.answered() ? a.version() : null;
            String key = !a.answered() ? "no answer" : a.status() != 200 ? "HTTP " + a.status()
                    : v == null ? "no version" : v;
            seen.merge(key, 1, Integer::sum);
            if (v != null) {
                versions.add(v);
            }
            if (v == null || a.status() != 200 || !acceptedVersions.contains(v)) {
                bad.add(key);
            }
        }
        String detail = props.getLoadBalancerSamples() + " requests through " + base + "version: " + seen;
        log.line("step", detail + " (accepted " + acceptedVersions + ")");
        return new HealthResult(bad.isEmpty(), bad.isEmpty() ? detail : detail + "; not accepted: "
                + new LinkedHashSet<>(bad), versions);
    }

    // ------------------------------------------------------------------------------------------------ load balancer
    // an environment without a load balancer admin API has no backends to drain or register: nothing to do

    @Override
    public void drain(String environment, String application, String host, String instance, StepLog log) {
        // no new requests, and the ones in flight finish before the instance is switched (release-activate.sh
        // restarts it): at most drain-wait
        FleetScope f = fleet(environment, log);
        if (f.hasLoadBalancerApi()) {
            f.drain(host, application, instance, props.getDrainWait());
        }
    }

    @Override
    public void undrain(String environment, String application, String host, String instance, StepLog log) {
        FleetScope f = fleet(environment, log);
        if (f.hasLoadBalancerApi()) {
            f.undrain(host, application, instance, props.getLoadBalancerWaitHealthy());
        }
    }

    @Override
    public void registerBackend(String environment, String application, String host, String instance,
                                String colour, StepLog log) {
        FleetScope f = fleet(environment, log);
        if (f.hasLoadBalancerApi()) {
            f.addBackend(host, application, instance, colour, Duration.ZERO);
        }
    }

    @Override
    public void deregisterBackend(String environment, String application, String host, String instance,
                                  StepLog log) {
        FleetScope f = fleet(environment, log);
        if (f.hasLoadBalancerApi()) {
            f.removeBackend(host, application, instance);
        }
    }

    @Override
    public void switchColour(String environment, String application, String colour, StepLog log) {
        FleetScope f = fleet(environment, log);
        if (!f.hasLoadBalancerApi()) {
            throw new IllegalStateException("environment " + environment + " has no load balancer api-url: "
                    + "blue-green needs one (opsflow.environments." + environment + ".load-balancer.api-url)");
        }
        f.switchTo(application, colour);
    }

    // ------------------------------------------------------------------------------------------------ Ansible

    @Override
    public void installRelease(String environment, String application, String version, String host,
                               String instance, StepLog log) {
        Environment e = environments.get(environment);
        HostConfig h = e.requireHost(host);
        ansible.runPlaybook(deployRun(e, h, application, version, instance, false), log).requireSuccess();
    }

    @Override
    public void configureHosts(String environment, String application, List<String> hosts, StepLog log) {
        Environment e = environments.get(environment);
        hosts.forEach(e::requireHost);
        AnsibleRun.Builder run = AnsibleRun.builder(ansible.playbook("configure-host.yml"), ansible.inventory(e))
                .limit(limit(e, String.join(",", hosts))).timeout(props.getPlaybookTimeout())
                .hostKeyChecking(hostKeyChecking(e));
        props.getAnsibleEnv().forEach(run::env);
        ansible.runPlaybook(run.build(), log).requireSuccess();
    }

    private AnsibleRun deployRun(Environment e, HostConfig h, String app, String version, String instance,
                                 boolean check) {
        Map<String, Object> vars = new LinkedHashMap<>();
        vars.put("app", app);
        vars.put("version", version);
        vars.put("instance", instance);
        vars.put("port", environments.instancePort(h, app, instance));
        AnsibleRun.Builder run = AnsibleRun.builder(ansible.playbook("deploy-app.yml"), ansible.inventory(e))
                .limit(limit(e, h.name())).extraVars(vars).checkMode(check).timeout(props.getPlaybookTimeout())
                .hostKeyChecking(hostKeyChecking(e));
        props.getAnsibleEnv().forEach(run::env);
        return run.build();
    }

    /** The hosts, confined to the inventory group named like the environment. */
    private static String limit(Environment e, String hosts) {
        return hosts + ",&" + e.name();
    }

    private static boolean hostKeyChecking(Environment e) {
        return e.ssh() == null || e.ssh().hostKeyChecking();
    }
}
