package io.opsflow.backup.delegate;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

import io.opsflow.platform.runbook.RunbookStep;
import io.opsflow.backup.BackupOperations;
import io.opsflow.database.BackupCatalog;
import io.opsflow.database.BackupTargets;
import io.opsflow.database.OffsiteStore;
import io.opsflow.database.Vars;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/**
 * A failed backup leaves nothing: deletes its offsite copy (unless the catalog has a row for it, which a failed run
 * never writes) and the dump on the host; the run ends FAILED with {@code failureReason}.
 */
@Component("backupDiscard")
public class BackupDiscardDelegate extends RunbookStep {
    private final BackupOperations ops;
    private final BackupTargets targets;
    private final OffsiteStore store;
    private final BackupCatalog catalog;

    public BackupDiscardDelegate(BackupOperations ops, BackupTargets targets, OffsiteStore store,
                                 BackupCatalog catalog, StepLogs logs) {
        super(logs);
        this.ops = ops;
        this.targets = targets;
        this.store = store;
        this.catalog = catalog;
    }

    @Override
    protected void run(DelegateExecution ex, StepLog log) {
        String key = Vars.opt(ex, "objectKey");
        if (key != null && !catalog.existsObjectKey(key)) {
            store.delete(key);
        }
        String path = Vars.opt(ex, "dumpPath");
        if (path != null) {
            ops.removeFromHost(targets.get(Vars.str(ex, "environment"), Vars.str(ex, "target")), path, log);
        }
        ex.setVariable("outcome", "FAILED");
    }
}
