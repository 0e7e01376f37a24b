package io.opsflow.restart;

import java.util.function.Consumer;

import org.camunda.bpm.engine.delegate.DelegateExecution;

import io.opsflow.platform.runbook.RunVariables;
import io.opsflow.platform.runbook.RunbookStep;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/**
 * A step of restart-platform that drives {@link RestartOperations}: the run's environment and the activity's own
 * step log ({@code var/logs/<processInstanceId>/<activityInstanceId>.log}).
 */
abstract class RestartStep extends RunbookStep {
    final RestartOperations ops;

    RestartStep(RestartOperations ops, StepLogs logs) {
        super(logs);
        this.ops = ops;
    }

    @Override
    protected final void run(DelegateExecution execution, StepLog log) {
        run(execution, RunVariables.of(execution).string("environment"), log);
    }

    abstract void run(DelegateExecution execution, String environment, StepLog log);

    /** {@code action} on every host of the current batch, in order; each done host is {@code state} in hostProgress. */
    static void eachHostOfBatch(DelegateExecution execution, Consumer<String> action, String state) {
        HostProgress progress = HostProgress.read(execution);
        for (String host : RestartVariables.batch(execution)) {
            action.accept(host);
            progress.set(host, state);
        }
        progress.write(execution);
    }
}
