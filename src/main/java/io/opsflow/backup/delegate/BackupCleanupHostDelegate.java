package io.opsflow.backup.delegate;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

import io.opsflow.backup.BackupOperations;
import io.opsflow.database.BackupTargets;
import io.opsflow.database.Vars;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/** Removes the dump from the host's staging directory once it is offsite and recorded. */
@Component("backupCleanupHost")
public class BackupCleanupHostDelegate implements JavaDelegate {
    private final BackupOperations ops;
    private final StepLogs logs;
    private final BackupTargets targets;

    public BackupCleanupHostDelegate(BackupOperations ops, BackupTargets targets, StepLogs logs) {
        this.logs = logs;
        this.ops = ops;
        this.targets = targets;
    }

    @Override
    public void execute(DelegateExecution ex) {
        try (StepLog log = logs.forExecution(ex)) {
            String path = Vars.opt(ex, "dumpPath");
            if (path != null) {
                ops.removeFromHost(targets.get(Vars.str(ex, "environment"), Vars.str(ex, "target")), path, log);
            }
        }
    }
}
