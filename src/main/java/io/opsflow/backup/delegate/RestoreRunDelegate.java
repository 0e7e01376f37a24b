package io.opsflow.backup.delegate;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

import io.opsflow.platform.runbook.RunbookStep;
import io.opsflow.database.RestoreOperations;
import io.opsflow.database.Vars;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/** Restores the staged backup into the original or a fresh scratch database/directory. */
@Component("restoreRun")
public class RestoreRunDelegate extends RunbookStep {
    private final RestoreOperations ops;
    private final RestoreSupport support;

    public RestoreRunDelegate(RestoreOperations ops, RestoreSupport support, StepLogs logs) {
        super(logs);
        this.ops = ops;
        this.support = support;
    }

    @Override
    protected void run(DelegateExecution ex, StepLog log) {
        RestoreOperations.Restored r = ops.restore(support.target(ex), support.backup(ex),
                Vars.str(ex, "stagedPath"), support.scratch(ex), log);
        ex.setVariable("restoredInto", r.into());
        ex.setVariable("restoredRowCounts", Vars.countsJson(r.rowCounts()));
        ex.setVariable("restoredVerifyValue", r.verifyValue());
    }
}
