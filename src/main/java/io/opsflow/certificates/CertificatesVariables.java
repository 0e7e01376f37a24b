package io.opsflow.certificates;

import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;

import org.camunda.bpm.engine.delegate.DelegateExecution;

import io.opsflow.platform.runbook.RunVariables;

/** Typed access to renew-certificates' variables. */
final class CertificatesVariables {
    static final String WANTED_DOMAINS = "wantedDomains";
    static final String SERVED_SERIAL = "servedSerial";
    static final String SERVED_NOT_AFTER = "servedNotAfter";

    private CertificatesVariables() {
    }

    /** "a.example.org, b.example.org" → [a.example.org, b.example.org] (trimmed, duplicates dropped); null → []. */
    static List<String> parseDomains(String domains) {
        if (domains == null || domains.isBlank()) {
            return List.of();
        }
        return List.copyOf(new LinkedHashSet<>(Arrays.stream(domains.split(",")).map(String::strip)
                .filter(s -> !s.isEmpty()).toList()));
    }

    static String environment(DelegateExecution execution) {
        return RunVariables.of(execution).string("environment");
    }

    static boolean force(DelegateExecution execution) {
        return Boolean.TRUE.equals(execution.getVariable("force"));
    }

    static List<String> requestedDomains(DelegateExecution execution) {
        return parseDomains((String) execution.getVariable("domains"));
    }

    static List<String> wantedDomains(DelegateExecution execution) {
        List<String> l = RunVariables.of(execution).strings(WANTED_DOMAINS);
        if (l.isEmpty()) {
            throw new IllegalStateException("variable '" + WANTED_DOMAINS + "' (the domains to issue for) is missing"
                    + " in " + execution.getCurrentActivityId() + "; Task_InspectCertificate sets it");
        }
        return l;
    }

    static String servedSerial(DelegateExecution execution) {
        return (String) execution.getVariable(SERVED_SERIAL);
    }
}
