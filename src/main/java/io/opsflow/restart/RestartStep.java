package io.opsflow.restart;

import java.util.List;
import java.util.function.Consumer;

import org.camunda.bpm.engine.delegate.DelegateExecution;

import io.opsflow.fleet.PerHost;
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

    /**
     * {@code action} on every host of the current batch, all at once (up to the environment's parallelism; every
     * host finished before a failure fails the step); each done host is {@code state} in hostProgress.
     */
    void eachHostOfBatch(DelegateExecution execution, String environment, Consumer<String> action, String state) {
        HostProgress progress = HostProgress.read(execution);
        List<String> batch = RestartVariables.batch(execution);
        PerHost.forEach(batch, ops.parallelism(environment), action::accept);
        batch.forEach(host -> progress.set(host, state));
        progress.write(execution);
    }
}
