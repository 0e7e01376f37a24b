package io.opsflow.fleet;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import org.springframework.stereotype.Component;

import io.opsflow.environments.Environment;
import io.opsflow.environments.Environments;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.http.HttpHealthCheck;
import io.opsflow.step.ssh.HostTargets;
import io.opsflow.step.ssh.SshFanOut;
import io.opsflow.step.ssh.SshStep;
import io.opsflow.step.ssh.WorkerScripts;
import io.opsflow.step.exec.Lazy;

/**
 * The runbooks' one client of managed hosts and load balancers. {@link #in} gives the fleet of one environment for
 * one step ({@link FleetScope}): inventory, activate/remove a release, start/stop/restart an instance or a systemd
 * unit, probe an instance's health, drain/undrain/add/remove a backend and switch a pool's colour, and traffic
 * through the load balancer, each a typed method that maps the worker script's arguments and its JSON result
 * (docs/contracts.md) in this package only.
 *
 * <p>Hosts are reached over SSH with the {@code workers/} scripts ({@link WorkerScripts}: uploaded by checksum, one
 * JSON line out); load balancer actions run {@code lb-ctl.sh} / {@code lb-switch.sh} on the host they concern (a
 * switch on the environment's first host), so its admin API only needs to be reachable from the hosts. Where things
 * are (application root, admin API, artifacts, ports, health paths) comes from the environment model.
 */
@Component
public class Fleet {
    final Environments environments;
    final HostTargets targets;
    final WorkerScripts workers;
    final SshFanOut fanOut;
    final SshStep ssh;
    final HttpHealthCheck http;
    private final Lazy<HttpClient> client = new Lazy<>(() -> HttpClient.newBuilder() // built on first use, not at start
            .connectTimeout(Duration.ofSeconds(5)).followRedirects(HttpClient.Redirect.NEVER).build());

    public Fleet(Environments environments, HostTargets targets, WorkerScripts workers, SshFanOut fanOut, SshStep ssh,
                 HttpHealthCheck http) {
        this.environments = environments;
        this.targets = targets;
        this.workers = workers;
        this.fanOut = fanOut;
        this.ssh = ssh;
        this.http = http;
    }

    /**
     * The hosts of {@code environment} for one step: every script run there is limited to {@code timeout} (plus
     * the waits a method is asked for), and everything it does goes to {@code log}.
     */
    /** The environment's model (hosts, parallelism …); unknown names are refused as by {@link Environments#get}. */
    public Environment environment(String name) {
        return environments.get(name);
    }

    public FleetScope in(String environment, Duration timeout, StepLog log) {
        return in(environments.get(environment), timeout, log);
    }

    public FleetScope in(Environment environment, Duration timeout, StepLog log) {
        return new FleetScope(this, environment, timeout, log);
    }

    /** One GET (5 s); an answer that never came is a {@link TrafficAnswer} with status -1 and the reason. */
    TrafficAnswer get(URI uri) {
        try {
            HttpResponse<String> r = client.get().send(HttpRequest.newBuilder(uri).GET().timeout(Duration.ofSeconds(5))
                    .header("User-Agent", "opsflow").build(), HttpResponse.BodyHandlers.ofString());
            return new TrafficAnswer(uri, r.statusCode(), r.body(), null);
        } catch (IOException ex) {
            return new TrafficAnswer(uri, -1, null, ex.getClass().getSimpleName() + ": " + ex.getMessage());
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while requesting " + uri, ex);
        }
    }
}
