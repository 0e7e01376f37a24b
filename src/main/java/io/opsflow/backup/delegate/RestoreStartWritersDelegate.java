package io.opsflow.backup.delegate;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

import io.opsflow.platform.runbook.RunbookStep;
import io.opsflow.database.RestoreOperations;
import io.opsflow.database.Vars;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/** Starts the writers the restore stopped. */
@Component("restoreStartWriters")
public class RestoreStartWritersDelegate extends RunbookStep {
    private final RestoreOperations ops;
    private final RestoreSupport support;

    public RestoreStartWritersDelegate(RestoreOperations ops, RestoreSupport support, StepLogs logs) {
        super(logs);
        this.ops = ops;
        this.support = support;
    }

    @Override
    protected void run(DelegateExecution ex, StepLog log) {
        ops.startWriters(support.target(ex), Vars.stringList(Vars.opt(ex, "stoppedWriters")), log);
    }
}
