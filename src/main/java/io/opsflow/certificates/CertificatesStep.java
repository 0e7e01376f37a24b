package io.opsflow.certificates;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;

import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/**
 * A step of renew-certificates that drives {@link CertificateOperations} with {@code opsflow.certificates}: the run's
 * environment and the activity's own step log ({@code var/logs/<processInstanceId>/<activityInstanceId>.log}).
 */
abstract class CertificatesStep implements JavaDelegate {
    final CertificateOperations ops;
    final CertificatesProperties props;
    private final StepLogs logs;

    CertificatesStep(CertificateOperations ops, StepLogs logs, CertificatesProperties props) {
        this.ops = ops;
        this.logs = logs;
        this.props = props;
    }

    @Override
    public final void execute(DelegateExecution execution) {
        try (StepLog log = logs.forExecution(execution)) {
            run(execution, CertificatesVariables.environment(execution), log);
        }
    }

    abstract void run(DelegateExecution execution, String environment, StepLog log);
}
