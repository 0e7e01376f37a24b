package io.opsflow.backup.delegate;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

import io.opsflow.platform.runbook.RunbookStep;
import io.opsflow.database.RestoreOperations;
import io.opsflow.database.Vars;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/** Removes the staged backup from the host. */
@Component("restoreCleanup")
public class RestoreCleanupDelegate extends RunbookStep {
    private final RestoreOperations ops;
    private final RestoreSupport support;

    public RestoreCleanupDelegate(RestoreOperations ops, RestoreSupport support, StepLogs logs) {
        super(logs);
        this.ops = ops;
        this.support = support;
    }

    @Override
    protected void run(DelegateExecution ex, StepLog log) {
        String staged = Vars.opt(ex, "stagedPath");
        if (staged != null) {
            ops.removeFromHost(support.target(ex), staged, log);
        }
    }
}
