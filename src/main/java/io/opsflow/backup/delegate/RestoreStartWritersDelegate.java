package io.opsflow.backup.delegate;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

import io.opsflow.database.RestoreOperations;
import io.opsflow.database.Vars;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/** Starts the writers the restore stopped. */
@Component("restoreStartWriters")
public class RestoreStartWritersDelegate implements JavaDelegate {
    private final RestoreOperations ops;
    private final StepLogs logs;
    private final RestoreSupport support;

    public RestoreStartWritersDelegate(RestoreOperations ops, RestoreSupport support, StepLogs logs) {
        this.logs = logs;
        this.ops = ops;
        this.support = support;
    }

    @Override
    public void execute(DelegateExecution ex) {
        try (StepLog log = logs.forExecution(ex)) {
            ops.startWriters(support.target(ex), Vars.stringList(Vars.opt(ex, "stoppedWriters")), log);
        }
    }
}
