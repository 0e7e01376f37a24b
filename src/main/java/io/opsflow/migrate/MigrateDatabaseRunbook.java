package io.opsflow.migrate;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.springframework.stereotype.Component;

import io.opsflow.platform.locks.LockNames;
import io.opsflow.database.BackupTargets;
import io.opsflow.environments.Environments;
import io.opsflow.fleet.ArtifactCatalog;
import io.opsflow.platform.runbook.InputSpec;
import io.opsflow.platform.runbook.Runbook;
import io.opsflow.platform.runbook.RunbookDefinition;

/**
 * Inputs of {@code migrate-database}: environment, application, the release whose migrations to apply, why. One
 * migration per application and environment at a time ({@code migrate:<env>/<application>}, refused with 409).
 */
@Component
class MigrateDatabaseRunbook extends Runbook {
    public static final String KEY = "migrate-database";
    private final BackupTargets targets;

    MigrateDatabaseRunbook(BackupTargets targets) {
        super(KEY);
        this.targets = targets;
    }

    private ArtifactCatalog artifacts;

    /** The start check against the artifact store (absent in process tests). */
    @org.springframework.beans.factory.annotation.Autowired(required = false)
    void artifactCatalog(ArtifactCatalog catalog) {
        this.artifacts = catalog;
    }

    /** Acts only inside the environment's maintenance windows: the gate after the approval (runAt input). */
    @Override
    public boolean waitsForMaintenanceWindow() {
        return true;
    }

    @Override
    public List<InputSpec> inputs() {
        return List.of(InputSpec.environment("environment"), InputSpec.name("application"),
                InputSpec.version("version"), InputSpec.text("reason").required().maxLength(500));
    }

    /** What the approver signs besides the inputs (see {@link RunbookDefinition#evidence()}). */
    @Override
    public List<String> evidence() {
        return List.of("migrationDatabase", "appliedBefore", "pendingMigrations", "migrationList", "preMigrationBackupId");
    }

    @Override
    public void validate(Map<String, Object> vars, Environments environments, List<String> errors) {
        try {
            MigrationDatabases.of(targets, (String) vars.get("environment"), (String) vars.get("application"));
        } catch (IllegalStateException e) {
            errors.add("application: " + e.getMessage());
        }
        ArtifactCatalog.requireInStore(artifacts, vars, errors);
    }

    @Override
    public Optional<String> lockName(Map<String, Object> vars) {
        return Optional.of(LockNames.migration((String) vars.get("environment"), (String) vars.get("application")));
    }
}
