package io.opsflow.platform.runbook;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;

import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/**
 * The one layout of a runbook's delegate: a {@code @Component("camelName")} bean wired by
 * {@code camunda:delegateExpression} that reads its variables (through the runbook's typed accessor on
 * {@link RunVariables}), calls a typed operation with the activity's own step log
 * (kept in the engine's database by {@link StepLogs}, opened and closed here) and writes its variables.
 */
public abstract class RunbookStep implements JavaDelegate {
    private final StepLogs logs;

    protected RunbookStep(StepLogs logs) {
        this.logs = logs;
    }

    @Override
    public final void execute(DelegateExecution execution) throws Exception {
        try (StepLog log = logs.forExecution(execution)) {
            run(execution, log);
        }
    }

    protected abstract void run(DelegateExecution execution, StepLog log) throws Exception;
}
