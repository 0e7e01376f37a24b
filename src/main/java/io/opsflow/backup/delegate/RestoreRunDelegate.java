package io.opsflow.backup.delegate;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

import io.opsflow.database.RestoreOperations;
import io.opsflow.database.Vars;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/** Restores the staged backup into the original or a fresh scratch database/directory. */
@Component("restoreRun")
public class RestoreRunDelegate implements JavaDelegate {
    private final RestoreOperations ops;
    private final StepLogs logs;
    private final RestoreSupport support;

    public RestoreRunDelegate(RestoreOperations ops, RestoreSupport support, StepLogs logs) {
        this.logs = logs;
        this.ops = ops;
        this.support = support;
    }

    @Override
    public void execute(DelegateExecution ex) {
        try (StepLog log = logs.forExecution(ex)) {
            RestoreOperations.Restored r = ops.restore(support.target(ex), support.backup(ex),
                    Vars.str(ex, "stagedPath"), support.scratch(ex), log);
            ex.setVariable("restoredInto", r.into());
            ex.setVariable("restoredRowCounts", Vars.countsJson(r.rowCounts()));
            ex.setVariable("restoredVerifyValue", r.verifyValue());
        }
    }
}
