package io.opsflow.certificates;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/** Task_ObtainCertificate: certbot issues a new certificate for {@code wantedDomains}; nothing is served yet. */
@Component("certificatesObtain")
class CertificatesObtainDelegate extends CertificatesStep {
    CertificatesObtainDelegate(CertificateOperations ops, StepLogs logs, CertificatesProperties props) {
        super(ops, logs, props);
    }

    @Override
    void run(DelegateExecution execution, String env, StepLog log) {
        ops.obtain(env, CertificatesVariables.wantedDomains(execution), log);
    }
}
