package io.opsflow.logs;

import org.camunda.bpm.engine.delegate.DelegateExecution;

import io.opsflow.platform.runbook.RunbookStep;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/** A step of analyze-logs: typed variables and the activity's own step log. */
abstract class LogsStep extends RunbookStep {
    LogsStep(StepLogs logs) {
        super(logs);
    }

    @Override
    protected final void run(DelegateExecution execution, StepLog log) throws Exception {
        run(execution, new LogsVariables(execution), log);
    }

    abstract void run(DelegateExecution execution, LogsVariables v, StepLog log) throws Exception;
}
