package io.opsflow.backup.delegate;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

import io.opsflow.database.RestoreOperations;
import io.opsflow.database.Vars;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/** Removes the staged backup from the host. */
@Component("restoreCleanup")
public class RestoreCleanupDelegate implements JavaDelegate {
    private final RestoreOperations ops;
    private final StepLogs logs;
    private final RestoreSupport support;

    public RestoreCleanupDelegate(RestoreOperations ops, RestoreSupport support, StepLogs logs) {
        this.logs = logs;
        this.ops = ops;
        this.support = support;
    }

    @Override
    public void execute(DelegateExecution ex) {
        try (StepLog log = logs.forExecution(ex)) {
            String staged = Vars.opt(ex, "stagedPath");
            if (staged != null) {
                ops.removeFromHost(support.target(ex), staged, log);
            }
        }
    }
}
