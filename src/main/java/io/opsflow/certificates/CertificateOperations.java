package io.opsflow.certificates;

import java.time.Instant;
import java.util.List;

import io.opsflow.step.exec.StepLog;

/**
 * What renew-certificates does to an environment's TLS edge. {@link EdgeCertificateOperations} drives the real
 * tools (a TLS handshake from Java, certbot, nginx); process tests mock it.
 */
public interface CertificateOperations {

    /** The endpoint ("host:port") of the environment's edge and the domains its certificate covers by default. */
    Edge edge(String environment);

    /**
     * The certificate the edge serves right now, read from a TLS handshake (SNI {@code serverName}), with whether
     * its chain leads to the environment's trusted roots. An endpoint that does not answer TLS throws.
     */
    ServedCertificate served(String environment, String serverName, StepLog log);

    /**
     * Has certbot issue a new certificate for {@code domains} into the edge's lineage (the files Nginx reads). The
     * served certificate does not change until {@link #reload}. A refusal by certbot or the ACME server throws with
     * certbot's reason; the lineage then still holds the old certificate.
     */
    void obtain(String environment, List<String> domains, StepLog log);

    /** {@code nginx -t}, then a graceful reload (old workers finish their requests). A failing test throws, no reload. */
    void reload(String environment, StepLog log);

    record Edge(String environment, String endpoint, List<String> domains) {
        public Edge {
            domains = List.copyOf(domains);
        }
    }

    /**
     * A served certificate: serial (hex), subject DNS names, expiry, issuer, and whether its chain leads to a trusted
     * root ({@code chainProblem} says why not; null when it does).
     */
    record ServedCertificate(String serial, List<String> names, Instant notAfter, String issuer, String chainProblem) {
        public ServedCertificate {
            names = List.copyOf(names);
        }

        public boolean chains() {
            return chainProblem == null;
        }

        public boolean covers(List<String> domains) {
            return names.containsAll(domains);
        }
    }
}
