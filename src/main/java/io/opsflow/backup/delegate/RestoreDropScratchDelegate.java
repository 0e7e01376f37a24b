package io.opsflow.backup.delegate;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

import io.opsflow.database.RestoreOperations;
import io.opsflow.database.Vars;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/** Drops the scratch database/directory of a verified drill. */
@Component("restoreDropScratch")
public class RestoreDropScratchDelegate implements JavaDelegate {
    private final RestoreOperations ops;
    private final StepLogs logs;
    private final RestoreSupport support;

    public RestoreDropScratchDelegate(RestoreOperations ops, RestoreSupport support, StepLogs logs) {
        this.logs = logs;
        this.ops = ops;
        this.support = support;
    }

    @Override
    public void execute(DelegateExecution ex) {
        try (StepLog log = logs.forExecution(ex)) {
            ops.dropScratch(support.target(ex), Vars.str(ex, "restoredInto"), log);
            ex.setVariable("scratchDropped", true);
        }
    }
}
