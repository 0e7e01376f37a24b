package io.opsflow.migrate;

import java.util.Optional;

import io.opsflow.database.BackupProperties;
import io.opsflow.database.BackupTarget;
import io.opsflow.database.BackupTargets;
import io.opsflow.environments.Environment;

/** Which of an environment's databases an application's migrations go to ({@code opsflow.backup.applications}). */
public final class MigrationDatabases {
    private MigrationDatabases() {
    }

    /** Database target an application's migrations go to: configured, else one named like the app, else the only one. */
    public static BackupTarget of(BackupTargets targets, String env, String application) {
        Environment e = targets.environments().get(env);
        BackupProperties.Application app = targets.properties().getApplications().get(application);
        if (app != null && app.getDatabase() != null) {
            return targets.find(env, app.getDatabase()).filter(BackupTarget::isDatabase)
                    .orElseThrow(() -> new IllegalStateException("application '" + application + "' uses database '"
                            + app.getDatabase() + "' (opsflow.backup.applications." + application
                            + ".database) but environment '" + env + "' has no such database; configured: "
                            + e.databases().stream().map(Environment.Database::name).toList()));
        }
        Optional<BackupTarget> byName = targets.find(env, application).filter(BackupTarget::isDatabase);
        if (byName.isPresent()) {
            return byName.get();
        }
        if (e.databases().size() == 1) {
            return targets.find(env, e.databases().get(0).name()).orElseThrow();
        }
        throw new IllegalStateException("cannot tell which database of environment '" + env + "' application '"
                + application + "' uses: " + (e.databases().isEmpty() ? "none is configured (opsflow.environments."
                + env + ".databases)" : "configure opsflow.backup.applications." + application + ".database (one of "
                + e.databases().stream().map(Environment.Database::name).toList() + ")"));
    }
}
