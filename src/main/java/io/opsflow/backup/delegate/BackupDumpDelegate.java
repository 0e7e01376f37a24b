package io.opsflow.backup.delegate;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

import io.opsflow.platform.runbook.RunbookStep;
import io.opsflow.backup.BackupOperations;
import io.opsflow.database.BackupTargets;
import io.opsflow.database.Sha256;
import io.opsflow.database.Vars;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/** Dumps the target on its host (pg_dump -Fc, mysqldump --single-transaction, tar). */
@Component("backupDump")
public class BackupDumpDelegate extends RunbookStep {
    private final BackupOperations ops;
    private final BackupTargets targets;

    public BackupDumpDelegate(BackupOperations ops, BackupTargets targets, StepLogs logs) {
        super(logs);
        this.ops = ops;
        this.targets = targets;
    }

    @Override
    protected void run(DelegateExecution ex, StepLog log) {
        var target = targets.get(Vars.str(ex, "environment"), Vars.str(ex, "target"));
        BackupOperations.Dump d = ops.dump(target, Vars.str(ex, "backupId"), log);
        if (d.sha256() == null || !Sha256.HEX.matcher(d.sha256()).matches()) {
            throw new IllegalStateException("the dump of " + target.source() + " reported no valid SHA-256: "
                    + d.sha256());
        }
        ex.setVariable("dumpPath", d.hostPath());
        ex.setVariable("dumpSha256", d.sha256());
        ex.setVariable("dumpSize", d.sizeBytes());
        ex.setVariable("rowCounts", Vars.countsJson(d.rowCounts()));
        ex.setVariable("dumpVerifyValue", d.verifyValue());
        ex.setVariable("dumpStartedAt", d.startedAt().toString());
        ex.setVariable("dumpFinishedAt", d.finishedAt().toString());
    }
}
