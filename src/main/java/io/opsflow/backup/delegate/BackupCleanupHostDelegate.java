package io.opsflow.backup.delegate;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

import io.opsflow.platform.runbook.RunbookStep;
import io.opsflow.backup.BackupOperations;
import io.opsflow.database.BackupTargets;
import io.opsflow.database.Vars;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/** Removes the dump from the host's staging directory once it is offsite and recorded. */
@Component("backupCleanupHost")
public class BackupCleanupHostDelegate extends RunbookStep {
    private final BackupOperations ops;
    private final BackupTargets targets;

    public BackupCleanupHostDelegate(BackupOperations ops, BackupTargets targets, StepLogs logs) {
        super(logs);
        this.ops = ops;
        this.targets = targets;
    }

    @Override
    protected void run(DelegateExecution ex, StepLog log) {
        String path = Vars.opt(ex, "dumpPath");
        if (path != null) {
            ops.removeFromHost(targets.get(Vars.str(ex, "environment"), Vars.str(ex, "target")), path, log);
        }
    }
}
