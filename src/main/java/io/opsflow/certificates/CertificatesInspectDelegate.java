package io.opsflow.certificates;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.springframework.stereotype.Component;

import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/**
 * Task_InspectCertificate: reads the certificate the edge serves (TLS handshake) and decides whether to renew: forced,
 * a wanted domain (the edge's configured domains plus the requested ones: a new name never drops one that is
 * served) it does not cover, less than {@code opsflow.certificates.renew-before} left, or a chain that does
 * not lead to a trusted root. Outputs: {@code endpoint}, {@code wantedDomains}, {@code servedSerial},
 * {@code servedNotAfter}, {@code renewalNeeded}, {@code certificatePlan} (what the approver reads).
 */
@Component("certificatesInspect")
class CertificatesInspectDelegate extends CertificatesStep {
    CertificatesInspectDelegate(CertificateOperations ops, StepLogs logs, CertificatesProperties props) {
        super(ops, logs, props);
    }

    @Override
    void run(DelegateExecution execution, String env, StepLog log) {
        CertificateOperations.Edge edge = ops.edge(env);
        List<String> wanted = new ArrayList<>(edge.domains());
        CertificatesVariables.requestedDomains(execution).stream().filter(d -> !wanted.contains(d))
                .forEach(wanted::add);
        if (wanted.isEmpty()) {
            throw new IllegalStateException(env + " edge " + edge.endpoint() + ": no domains configured "
                    + "(opsflow.certificates.environments." + env + ".domains) and none requested");
        }
        CertificateOperations.ServedCertificate served = ops.served(env, wanted.get(0), log);
        Duration left = Duration.between(Instant.now(), served.notAfter());
        List<String> reasons = new ArrayList<>();
        if (CertificatesVariables.force(execution)) {
            reasons.add("forced re-issue");
        }
        List<String> missing = wanted.stream().filter(d -> !served.names().contains(d)).toList();
        if (!missing.isEmpty()) {
            reasons.add("the served certificate does not cover " + missing);
        }
        if (left.compareTo(props.getRenewBefore()) < 0) {
            reasons.add("expires in " + human(left) + ", less than " + human(props.getRenewBefore()));
        }
        if (!served.chains()) {
            reasons.add(served.chainProblem());
        }
        boolean renew = !reasons.isEmpty();
        String plan = env + " edge " + edge.endpoint() + " serves serial " + served.serial() + " for "
                + served.names() + ", valid until " + served.notAfter() + " (" + human(left) + " left).\n"
                + (renew ? "Renew for " + wanted + ": " + String.join("; ", reasons)
                + ". certbot issues a new certificate, nginx -t, graceful reload, then the served certificate is "
                + "verified to have changed and to chain to a trusted root."
                : "Nothing to do: valid for more than " + human(props.getRenewBefore()) + ", covers " + wanted
                + ", chain ok.");
        log.info(plan);
        execution.setVariable("endpoint", edge.endpoint());
        execution.setVariable(CertificatesVariables.WANTED_DOMAINS, wanted);
        execution.setVariable(CertificatesVariables.SERVED_SERIAL, served.serial());
        execution.setVariable(CertificatesVariables.SERVED_NOT_AFTER, served.notAfter().toString());
        execution.setVariable("renewalNeeded", renew);
        execution.setVariable("certificatePlan", plan);
    }

    /** "12d 3h", "45m". */
    static String human(Duration d) {
        if (d.isNegative()) {
            return "expired " + human(d.negated()) + " ago";
        }
        if (d.toDays() > 0) {
            return d.toDays() + "d" + (d.toHoursPart() == 0 ? "" : " " + d.toHoursPart() + "h");
        }
        return d.toHours() > 0 ? d.toHours() + "h " + d.toMinutesPart() + "m" : d.toMinutes() + "m";
    }
}
