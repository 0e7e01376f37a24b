package io.opsflow.backup;

import io.opsflow.platform.locks.LockNames;
import io.opsflow.database.BackupCatalog;
import io.opsflow.database.BackupEntry;
import io.opsflow.database.BackupTargets;
import io.opsflow.environments.Environment;
import io.opsflow.environments.Environments;
import io.opsflow.platform.runbook.InputSpec;
import io.opsflow.platform.runbook.Runbook;
import io.opsflow.platform.runbook.RunbookDefinition;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.stereotype.Component;

/**
 * Inputs of {@code restore}: environment, the backup (an id from the catalog, or {@code latest} with the target),
 * where to (original or scratch), why, and optionally when the incident happened (for the RPO). A restore into the
 * original takes the target's backup lock {@code backup:<env>/<target>} (no backup of it meanwhile, retention cannot
 * delete what is being restored); a scratch restore takes {@code restore-scratch:<env>/<target>}.
 */
@Component
public class RestoreRunbook extends Runbook {
    public static final String KEY = "restore";
    public static final String LATEST = "latest";

    private final BackupCatalog catalog;
    private final BackupTargets targets;

    public RestoreRunbook(BackupCatalog catalog, BackupTargets targets) {
        super(KEY);
        this.catalog = catalog;
        this.targets = targets;
    }


    /** Acts only inside the environment's maintenance windows: the gate after the approval (runAt input). */
    @Override
    public boolean waitsForMaintenanceWindow() {
        return true;
    }

    @Override
    public List<InputSpec> inputs() {
        return List.of(InputSpec.environment("environment"),
                InputSpec.pattern("backupId", "latest|[a-z0-9][a-z0-9-]{0,159}",
                        "a backup id from GET /api/backups (or 'latest' with a target)").required(),
                InputSpec.choice("targetKind", "original", "scratch").required(),
                InputSpec.text("reason").required().maxLength(500),
                InputSpec.name("target").optional(),
                InputSpec.pattern("incidentAt", "[0-9TZ:.+-]{10,40}",
                        "an ISO-8601 instant such as 2025-01-31T09:15:00Z").optional());
    }

    /** What the approver signs besides the inputs (see {@link RunbookDefinition#evidence()}). */
    @Override
    public List<String> evidence() {
        return List.of("backupEntry", "drill", "restoreEvidence", "stagedPath", "checksumVerified");
    }

    /** Only a restore over the original target needs an approval (a scratch restore or drill changes nothing live). */
    @Override
    public boolean requiresApproval(Map<String, Object> vars, Environment environment) {
        return environment != null && environment.requiresApproval() && "original".equals(vars.get("targetKind"));
    }

    @Override
    public void validate(Map<String, Object> vars, Environments environments, List<String> errors) {
        String env = (String) vars.get("environment");
        String target = blankToNull(vars.get("target"));
        if (LATEST.equals(vars.get("backupId")) && target == null && targets.names(env).size() > 1) {
            errors.add("target: is required with backupId 'latest' because " + env + " has several backup targets "
                    + targets.names(env));
            return;
        }
        Optional<BackupEntry> backup = resolve(env, (String) vars.get("backupId"), target);
        if (backup.isEmpty()) {
            if (LATEST.equals(vars.get("backupId"))) {
                errors.add("backupId: there is no backup of " + env + (target == null ? "" : "/" + target)
                        + " in the catalog");
            } else {
                errors.add("backupId: no backup '" + vars.get("backupId") + "' of environment " + env
                        + " in the catalog (GET /api/backups?environment=" + env + ")");
            }
            return;
        }
        if (target != null && !target.equals(backup.get().target())) {
            errors.add("target: backup " + backup.get().id() + " is of target " + backup.get().target() + ", not "
                    + target);
        }
        if (targets.find(env, backup.get().target()).isEmpty()) {
            errors.add("backupId: its target " + backup.get().target() + " is no longer configured in " + env);
        }
        String incidentAt = blankToNull(vars.get("incidentAt"));
        if (incidentAt != null) {
            try {
                Instant.parse(incidentAt);
            } catch (DateTimeParseException e) {
                errors.add("incidentAt: must be an ISO-8601 instant such as 2025-01-31T09:15:00Z (got \""
                        + incidentAt + "\")");
            }
        }
    }

    @Override
    public Optional<String> lockName(Map<String, Object> vars) {
        String env = (String) vars.get("environment");
        BackupEntry b = resolve(env, (String) vars.get("backupId"), blankToNull(vars.get("target"))).orElseThrow();
        return Optional.of("scratch".equals(vars.get("targetKind")) ? LockNames.scratchRestore(env, b.target())
                : LockNames.database(env, b.target()));
    }

    /** The backup a start refers to: by id (must belong to the environment), or the newest verified one. */
    public Optional<BackupEntry> resolve(String env, String backupId, String target) {
        if (LATEST.equals(backupId)) {
            if (target == null) {
                List<String> names = targets.names(env);
                if (names.size() != 1) {
                    return Optional.empty();
                }
                target = names.get(0);
            }
            return catalog.latest(env, target);
        }
        return catalog.find(backupId).filter(b -> b.environment().equals(env));
    }

    static String blankToNull(Object o) {
        return o instanceof String s && !s.isBlank() ? s : null;
    }
}
