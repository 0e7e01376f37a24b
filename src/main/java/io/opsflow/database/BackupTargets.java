package io.opsflow.database;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.springframework.stereotype.Component;

import io.opsflow.environments.Environment;
import io.opsflow.environments.Environments;
import io.opsflow.environments.HostConfig;

/**
 * What can be backed up, restored and migrated in an environment: its configured databases
 * ({@code opsflow.environments.<env>.databases}) and directories
 * ({@code opsflow.backup.environments.<env>.directories}). Resolved at call time, because hosts change at run time
 * (sandbox, provisioning).
 */
@Component
public class BackupTargets {
    private final Environments environments;
    private final BackupProperties props;

    public BackupTargets(Environments environments, BackupProperties props) {
        this.environments = environments;
        this.props = props;
    }

    public BackupProperties properties() {
        return props;
    }

    public Environments environments() {
        return environments;
    }

    /** All targets of an environment, databases first, in configuration order. */
    public List<BackupTarget> all(String env) {
        Environment e = environments.get(env);
        List<BackupTarget> out = new ArrayList<>();
        for (Environment.Database db : e.databases()) {
            HostConfig host = db.runOn() != null ? e.host(db.runOn()).orElse(null)
                    : e.hosts().stream().findFirst().orElse(null);
            out.add(new BackupTarget(env, db.name(), db.kind(), host, db, null));
        }
        for (BackupProperties.Directory d : props.environment(env).getDirectories()) {
            HostConfig host = d.getHost() != null ? e.host(d.getHost()).orElse(null)
                    : e.hosts().stream().findFirst().orElse(null);
            out.add(new BackupTarget(env, d.getName(), BackupTarget.FILES, host, null, d.getPath()));
        }
        return out;
    }

    public List<String> names(String env) {
        return all(env).stream().map(BackupTarget::name).toList();
    }

    public Optional<BackupTarget> find(String env, String name) {
        return all(env).stream().filter(t -> t.name().equals(name)).findFirst();
    }

    /** The target, or an exception whose message says what to configure. */
    public BackupTarget get(String env, String name) {
        return find(env, name).orElseThrow(() -> new IllegalStateException("environment '" + env
                + "' has no backup target '" + name + "'; configured: " + names(env)
                + " (databases: opsflow.environments." + env + ".databases, directories: opsflow.backup.environments."
                + env + ".directories)"));
    }

    /**
     * The host that runs the target's workers, or an exception naming the configuration to fix: a target without a
     * host cannot be dumped or restored.
     */
    public HostConfig hostOf(BackupTarget t) {
        if (t.host() != null) {
            return t.host();
        }
        String why = t.isDatabase() && t.database().runOn() != null
                ? "its run-on host '" + t.database().runOn() + "' is not among the environment's hosts"
                : "the environment has no hosts";
        throw new IllegalStateException("backup target " + t.environment() + "/" + t.name()
                + " cannot be reached: " + why + " (opsflow.environments." + t.environment()
                + ".hosts; databases[].run-on)");
    }

    /** Applications whose instances write the target (stopped while it is restored). */
    public List<String> writers(String env, String target) {
        return List.copyOf(props.environment(env).getWriters().getOrDefault(target, List.of()));
    }
}
