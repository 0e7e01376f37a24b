package io.opsflow.backup.delegate;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

import io.opsflow.database.RestoreOperations;
import io.opsflow.database.Vars;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/** Stops the instances that write the target; remembers exactly which, to start those again. */
@Component("restoreStopWriters")
public class RestoreStopWritersDelegate implements JavaDelegate {
    private final RestoreOperations ops;
    private final StepLogs logs;
    private final RestoreSupport support;

    public RestoreStopWritersDelegate(RestoreOperations ops, RestoreSupport support, StepLogs logs) {
        this.logs = logs;
        this.ops = ops;
        this.support = support;
    }

    @Override
    public void execute(DelegateExecution ex) {
        try (StepLog log = logs.forExecution(ex)) {
            ex.setVariable("stoppedWriters", Vars.json(ops.stopWriters(support.target(ex), log)));
        }
    }
}
