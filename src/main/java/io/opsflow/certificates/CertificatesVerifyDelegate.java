package io.opsflow.certificates;

import java.time.Instant;
import java.util.List;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/**
 * Task_VerifyServedCertificate: reads the served certificate again (Nginx's new workers take over gracefully, so it
 * polls up to {@code opsflow.certificates.verify-timeout}) and requires a new serial, every wanted domain, a later
 * expiry and a chain to a trusted root. Otherwise it throws: retries, then an incident naming the edge and why.
 * Outputs: {@code newSerial}, {@code newNotAfter}.
 */
@Component("certificatesVerify")
class CertificatesVerifyDelegate extends CertificatesStep {
    CertificatesVerifyDelegate(CertificateOperations ops, StepLogs logs, CertificatesProperties props) {
        super(ops, logs, props);
    }

    @Override
    void run(DelegateExecution execution, String env, StepLog log) {
        List<String> wanted = CertificatesVariables.wantedDomains(execution);
        String old = CertificatesVariables.servedSerial(execution);
        Instant deadline = Instant.now().plus(props.getVerifyTimeout());
        CertificateOperations.ServedCertificate now = ops.served(env, wanted.get(0), log);
        while (old.equals(now.serial()) && Instant.now().isBefore(deadline)) {
            sleep();
            now = ops.served(env, wanted.get(0), log);
        }
        String where = env + " edge " + execution.getVariable("endpoint");
        if (old.equals(now.serial())) {
            throw new IllegalStateException(where + " still serves the old certificate (serial " + old + ") "
                    + props.getVerifyTimeout() + " after the reload");
        }
        if (!now.covers(wanted)) {
            throw new IllegalStateException(where + " serves serial " + now.serial() + " for " + now.names()
                    + ", which does not cover " + wanted);
        }
        if (!now.chains()) {
            throw new IllegalStateException(where + " serves serial " + now.serial() + " but " + now.chainProblem());
        }
        Instant oldNotAfter = Instant.parse((String) execution.getVariable(CertificatesVariables.SERVED_NOT_AFTER));
        if (!now.notAfter().isAfter(oldNotAfter)) {
            throw new IllegalStateException(where + " serves serial " + now.serial() + " valid until "
                    + now.notAfter() + ", not later than the old one (" + oldNotAfter + ")");
        }
        log.info(where + " now serves serial " + now.serial() + " for " + now.names() + " until " + now.notAfter()
                + "; chain ok");
        execution.setVariable("newSerial", now.serial());
        execution.setVariable("newNotAfter", now.notAfter().toString());
    }

    private static void sleep() {
        try {
            Thread.sleep(250);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the reloaded certificate", e);
        }
    }
}
