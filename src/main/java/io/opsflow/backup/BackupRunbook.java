package io.opsflow.backup;

import java.util.List;
import java.util.Map;

import org.springframework.stereotype.Component;

import io.opsflow.database.BackupTargets;
import io.opsflow.environments.Environments;
import io.opsflow.platform.runbook.InputSpec;
import io.opsflow.platform.runbook.Runbook;

/**
 * Inputs of {@code backup}: the environment (what to back up comes from its configuration), optionally one target
 * (a database or directory name), why. No start lock: a run whose target is being backed up by another run ends
 * SKIPPED (it takes {@code backup:<env>/<target>} with tryRunbookLock).
 */
@Component
public class BackupRunbook extends Runbook {
    public static final String KEY = "backup";
    public static final List<String> PURPOSES = List.of("on-demand", "scheduled", "pre-migration");

    private final BackupTargets targets;

    public BackupRunbook(BackupTargets targets) {
        super(KEY);
        this.targets = targets;
    }

    @Override
    public List<InputSpec> inputs() {
        return List.of(InputSpec.environment("environment"), InputSpec.name("target").optional(),
                InputSpec.choice("purpose", PURPOSES.toArray(String[]::new)).defaultValue("on-demand"),
                InputSpec.text("reason").optional());
    }

    @Override
    public void validate(Map<String, Object> vars, Environments environments, List<String> errors) {
        String env = (String) vars.get("environment");
        List<String> names = targets.names(env);
        Object target = vars.get("target");
        if (names.isEmpty()) {
            errors.add("environment: '" + env + "' has nothing to back up (configure opsflow.environments." + env
                    + ".databases or opsflow.backup.environments." + env + ".directories)");
        } else if (target instanceof String t && !t.isEmpty() && !names.contains(t)) {
            errors.add("target: '" + t + "' is not a backup target of " + env + "; configured: " + names);
        }
    }
}
