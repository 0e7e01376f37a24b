package io.opsflow.fleet;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

import org.springframework.stereotype.Component;

import io.opsflow.environments.Environments;
import io.opsflow.step.exec.StepLogs;

/**
 * The applications and versions an environment's artifact store holds, read live through {@link FleetScope#artifacts()}
 * (on a host of the environment: what is listed is what a release there can install). Serves the start forms
 * ({@code GET /api/environments/{env}/applications}) and the start check of the runbooks that install or read a
 * release artifact: a version the store does not hold is refused before anything starts.
 */
@Component
public class ArtifactCatalog {
    static final Duration TIMEOUT = Duration.ofSeconds(20);

    private final Fleet fleet;
    private final AtomicLong listings = new AtomicLong();

    public ArtifactCatalog(Fleet fleet) {
        this.fleet = fleet;
    }

    /**
     * Application → its versions, newest first ({@link VersionOrder}); applications by name. The environment must
     * exist ({@link io.opsflow.environments.UnknownEnvironmentException} otherwise); a store that cannot be read is an
     * {@link IllegalStateException} saying why.
     */
    public Map<String, List<String>> applications(String environment) {
        Environments envs = fleet.environments;
        var env = envs.get(environment);
        listings.incrementAndGet();
        List<Artifact> artifacts = fleet.in(env, TIMEOUT, StepLogs.noop()).artifacts();
        Map<String, List<String>> byApp = new TreeMap<>();
        for (Artifact a : artifacts) {
            List<String> versions = byApp.computeIfAbsent(a.app(), k -> new ArrayList<>());
            if (!versions.contains(a.version())) {
                versions.add(a.version());
            }
        }
        Map<String, List<String>> out = new LinkedHashMap<>();
        byApp.forEach((app, versions) -> out.put(app, versions.stream().sorted(VersionOrder.NEWEST_FIRST).toList()));
        return out;
    }

    /** The versions of one application in the environment's store, newest first; empty when it has none. */
    public List<String> versions(String environment, String application) {
        return applications(environment).getOrDefault(application, List.of());
    }

    /**
     * The start check: adds {@code "version: ..."} to {@code errors} when the environment's store does not hold
     * {@code <application>-<version>.tar.gz}, or when the store cannot be read (a release could not install it either).
     * An environment without an artifact store or without hosts is not checked: nothing can be installed there, and
     * the run's first step says so.
     */
    public void requireVersion(String environment, String application, String version, List<String> errors) {
        var env = fleet.environments.get(environment);
        if (env.artifactStore() == null || env.artifactStore().isBlank() || env.hosts().isEmpty()) {
            return; // no store or no host to read it on: nothing can be installed there, the run's first step says why
        }
        List<String> versions;
        try {
            versions = versions(environment, application);
        } catch (IllegalStateException e) {
            errors.add("version: cannot check that " + application + " " + version + " is in the artifact store of "
                    + environment + ": " + e.getMessage());
            return;
        }
        if (!versions.contains(version)) {
            errors.add("version: " + application + " " + version + " is not in the artifact store of " + environment
                    + (versions.isEmpty() ? " (it holds no version of " + application + ")"
                    : "; it holds " + String.join(", ", versions)));
        }
    }

    /**
     * The start check of a runbook whose {@code environment}, {@code application} and {@code version} inputs name a
     * release artifact: {@link #requireVersion} when {@code catalog} is there (not in process tests, which have no
     * fleet) and no other error was found (the store is read on a host: only for an otherwise valid start).
     */
    public static void requireInStore(ArtifactCatalog catalog, Map<String, Object> vars, List<String> errors) {
        if (catalog != null && errors.isEmpty() && vars.get("environment") instanceof String env
                && vars.get("application") instanceof String app && vars.get("version") instanceof String version) {
            catalog.requireVersion(env, app, version, errors);
        }
    }

    /** How many times a store was listed (every listing runs artifact-list.sh on a host). */
    public long listings() {
        return listings.get();
    }
}
