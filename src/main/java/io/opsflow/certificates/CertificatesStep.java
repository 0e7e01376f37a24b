package io.opsflow.certificates;

import org.camunda.bpm.engine.delegate.DelegateExecution;

import io.opsflow.platform.runbook.RunbookStep;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/**
 * A step of renew-certificates that drives {@link CertificateOperations} with {@code opsflow.certificates}: the run's
 * environment and the activity's own step log ({@code var/logs/<processInstanceId>/<activityInstanceId>.log}).
 */
abstract class CertificatesStep extends RunbookStep {
    final CertificateOperations ops;
    final CertificatesProperties props;

    CertificatesStep(CertificateOperations ops, StepLogs logs, CertificatesProperties props) {
        super(logs);
        this.ops = ops;
        this.props = props;
    }

    @Override
    protected final void run(DelegateExecution execution, StepLog log) {
        run(execution, CertificatesVariables.environment(execution), log);
    }

    abstract void run(DelegateExecution execution, String environment, StepLog log);
}
