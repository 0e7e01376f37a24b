package io.opsflow.backup.delegate;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

import io.opsflow.platform.locks.LockNames;
import io.opsflow.backup.BackupIds;
import io.opsflow.database.BackupTarget;
import io.opsflow.database.BackupTargets;
import io.opsflow.database.Vars;

/**
 * Decides the shape of the run: one target (this run backs it up: backup id, lock name, offsite key) or all targets
 * of the environment (this run calls {@code backup} once per target, see the multi-instance call activity).
 */
@Component("backupPlan")
public class BackupPlanDelegate implements JavaDelegate {
    private final BackupTargets targets;

    public BackupPlanDelegate(BackupTargets targets) {
        this.targets = targets;
    }

    @Override
    public void execute(DelegateExecution ex) {
        String env = Vars.str(ex, "environment");
        String target = Vars.opt(ex, "target");
        if (target == null) {
            if (targets.names(env).isEmpty()) {
                throw new IllegalStateException("environment " + env + " has nothing to back up (configure "
                        + "opsflow.environments." + env + ".databases or opsflow.backup.environments." + env
                        + ".directories)");
            }
            ex.setVariable("singleTarget", false);
            ex.setVariable("targetResults", "[]");
            return;
        }
        BackupTarget t = targets.get(env, target);
        String id = BackupIds.newId(env, target, Vars.now());
        ex.setVariable("singleTarget", true);
        ex.setVariable("backupId", id);
        ex.setVariable("lockName", LockNames.database(env, target));
        ex.setVariable("backupKind", t.kind());
        ex.setVariable("backupSource", t.source());
        ex.setVariable("objectKey", BackupIds.objectKey(t, id));
    }
}
