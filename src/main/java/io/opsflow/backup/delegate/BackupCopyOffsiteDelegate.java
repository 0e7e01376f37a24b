package io.opsflow.backup.delegate;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

import io.opsflow.platform.runbook.RunbookStep;
import io.opsflow.backup.BackupOperations;
import io.opsflow.database.BackupTargets;
import io.opsflow.database.OffsiteStore;
import io.opsflow.database.Vars;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/**
 * Copies the dump offsite. A copy whose bytes do not hash to the dump's SHA-256 is deleted and the step fails (the
 * engine retries it: transfers are worth retrying).
 */
@Component("backupCopyOffsite")
public class BackupCopyOffsiteDelegate extends RunbookStep {
    private final BackupOperations ops;
    private final BackupTargets targets;
    private final OffsiteStore store;

    public BackupCopyOffsiteDelegate(BackupOperations ops, BackupTargets targets, OffsiteStore store, StepLogs logs) {
        super(logs);
        this.ops = ops;
        this.targets = targets;
        this.store = store;
    }

    @Override
    protected void run(DelegateExecution ex, StepLog log) {
        var target = targets.get(Vars.str(ex, "environment"), Vars.str(ex, "target"));
        String key = Vars.str(ex, "objectKey");
        String expected = Vars.str(ex, "dumpSha256");
        OffsiteStore.StoredObject o = ops.copyOffsite(target, Vars.str(ex, "dumpPath"), key, log);
        if (!expected.equals(o.sha256())) {
            store.delete(key);
            throw new IllegalStateException("the copy of " + Vars.str(ex, "dumpPath") + " to " + store.location(key)
                    + " arrived damaged (SHA-256 " + o.sha256() + ", expected " + expected
                    + "); the copy was deleted, the step is retried");
        }
        ex.setVariable("offsiteLocation", store.location(key));
        ex.setVariable("offsiteSize", o.size());
    }
}
