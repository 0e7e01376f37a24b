package io.opsflow.logs;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;

import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/** A step of analyze-logs: typed variables and the activity's own step log. */
abstract class LogsStep implements JavaDelegate {
    private final StepLogs logs;

    LogsStep(StepLogs logs) {
        this.logs = logs;
    }

    @Override
    public final void execute(DelegateExecution execution) throws Exception {
        try (StepLog log = logs.forExecution(execution)) {
            run(execution, new LogsVariables(execution), log);
        }
    }

    abstract void run(DelegateExecution execution, LogsVariables v, StepLog log) throws Exception;
}
