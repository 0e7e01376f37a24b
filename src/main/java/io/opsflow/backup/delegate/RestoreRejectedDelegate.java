package io.opsflow.backup.delegate;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

import io.opsflow.platform.runbook.RunbookStep;
import io.opsflow.database.RestoreOperations;
import io.opsflow.database.Vars;
import io.opsflow.platform.approval.ApprovalBlock;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/** A rejected (or expired) restore: removes the staged backup from the host and sets the rejection reason. */
@Component("restoreRejected")
public class RestoreRejectedDelegate extends RunbookStep {
    private final RestoreOperations ops;
    private final RestoreSupport support;

    public RestoreRejectedDelegate(RestoreOperations ops, RestoreSupport support, StepLogs logs) {
        super(logs);
        this.ops = ops;
        this.support = support;
    }

    @Override
    protected void run(DelegateExecution ex, StepLog log) {
        ApprovalBlock.recordRejection(ex);
        String staged = Vars.opt(ex, "stagedPath");
        if (staged != null) {
            ops.removeFromHost(support.target(ex), staged, log);
        }
    }
}
