package io.opsflow.backup.delegate;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

import io.opsflow.platform.runbook.RunbookStep;
import io.opsflow.database.RestoreOperations;
import io.opsflow.database.Vars;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/** Drops the scratch database/directory of a verified drill. */
@Component("restoreDropScratch")
public class RestoreDropScratchDelegate extends RunbookStep {
    private final RestoreOperations ops;
    private final RestoreSupport support;

    public RestoreDropScratchDelegate(RestoreOperations ops, RestoreSupport support, StepLogs logs) {
        super(logs);
        this.ops = ops;
        this.support = support;
    }

    @Override
    protected void run(DelegateExecution ex, StepLog log) {
        ops.dropScratch(support.target(ex), Vars.str(ex, "restoredInto"), log);
        ex.setVariable("scratchDropped", true);
    }
}
