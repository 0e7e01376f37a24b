package io.opsflow.certificates;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/** Task_ReloadNginx: {@code nginx -t}, then a graceful reload; a failing test stops before the reload. */
@Component("certificatesReload")
class CertificatesReloadDelegate extends CertificatesStep {
    CertificatesReloadDelegate(CertificateOperations ops, StepLogs logs, CertificatesProperties props) {
        super(ops, logs, props);
    }

    @Override
    void run(DelegateExecution execution, String env, StepLog log) {
        ops.reload(env, log);
    }
}
