package io.opsflow.certificates;

import java.io.IOException;
import java.nio.file.Files;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.springframework.stereotype.Component;

import io.opsflow.step.exec.CommandResult;
import io.opsflow.step.exec.CommandRunner;
import io.opsflow.step.exec.CommandSpec;
import io.opsflow.step.exec.StepLog;

/**
 * {@link CertificateOperations} on the environment's edge as configured in {@code opsflow.certificates}: the served
 * certificate from a TLS handshake ({@link TlsProbe}); {@code certbot certonly --webroot} into the edge's own
 * config/work/logs directories (no root paths), always with {@code --force-renewal} because this runbook, not
 * certbot, decides when to renew; {@code nginx -t} then {@code nginx -s reload} against the edge's prefix and config.
 * Every command is an argv list run by the step library's {@link CommandRunner}; output goes to the step log.
 */
@Component
class EdgeCertificateOperations implements CertificateOperations {
    private final CertificatesProperties props;
    private final CommandRunner runner;

    EdgeCertificateOperations(CertificatesProperties props, CommandRunner runner) {
        this.props = props;
        this.runner = runner;
    }

    @Override
    public Edge edge(String environment) {
        CertificatesProperties.Edge e = props.edge(environment);
        return new Edge(environment, e.endpoint(), e.getDomains());
    }

    @Override
    public ServedCertificate served(String environment, String serverName, StepLog log) {
        CertificatesProperties.Edge e = props.edge(environment);
        List<X509Certificate> chain;
        try {
            chain = TlsProbe.servedChain(e.getHost(), e.getPort(), serverName, Duration.ofSeconds(10));
        } catch (IOException ex) {
            throw new IllegalStateException(where(environment, e) + " does not answer TLS for " + serverName + ": "
                    + ex.getMessage(), ex);
        }
        X509Certificate leaf = chain.get(0);
        ServedCertificate c = new ServedCertificate(leaf.getSerialNumber().toString(16), TlsProbe.dnsNames(leaf),
                leaf.getNotAfter().toInstant(), leaf.getIssuerX500Principal().getName(),
                TlsProbe.chainProblem(chain, e.getTrustBundle()));
        log.info(where(environment, e) + " serves serial " + c.serial() + " for " + c.names() + ", valid until "
                + c.notAfter() + ", issuer " + c.issuer() + ", chain " + (c.chains() ? "ok" : c.chainProblem()));
        return c;
    }

    @Override
    public void obtain(String environment, List<String> domains, StepLog log) {
        CertificatesProperties.Edge e = props.edge(environment);
        List<String> argv = new ArrayList<>(List.of(e.getCertbot(), "certonly", "--non-interactive", "--agree-tos",
                "--server", e.getAcmeServer(),
                "--config-dir", e.letsencrypt("config").toString(),
                "--work-dir", e.letsencrypt("work").toString(),
                "--logs-dir", e.letsencrypt("logs").toString(),
                "--webroot", "--webroot-path", e.webroot().toString(),
                "--cert-name", e.getCertName(), "--force-renewal"));
        if (e.getEmail() == null || e.getEmail().isBlank()) {
            argv.add("--register-unsafely-without-email");
        } else {
            argv.addAll(List.of("--email", e.getEmail()));
        }
        for (String d : domains) {
            argv.addAll(List.of("--domain", d));
        }
        CommandSpec.Builder spec = CommandSpec.of(argv).timeout(props.getStepTimeout());
        if (e.getAcmeCaBundle() != null) {
            spec.env("REQUESTS_CA_BUNDLE", e.getAcmeCaBundle().toString());
        }
        try {
            Files.createDirectories(e.webroot());
        } catch (IOException ex) {
            throw new IllegalStateException(where(environment, e) + ": cannot create the webroot " + e.webroot(), ex);
        }
        CommandResult r = runner.run(spec.build(), log);
        if (!r.succeeded()) {
            throw new IllegalStateException(where(environment, e) + ": certbot could not issue a certificate for "
                    + domains + " (exit " + r.exitCode() + "): " + lastLines(r.stderrTail())
                    + "; the edge keeps serving its current certificate");
        }
    }

    @Override
    public void reload(String environment, StepLog log) {
        CertificatesProperties.Edge e = props.edge(environment);
        CommandResult test = runner.run(nginx(e, "-t"), log);
        if (!test.succeeded()) {
            throw new IllegalStateException(where(environment, e) + ": nginx -t failed, not reloaded (the old "
                    + "certificate keeps serving): " + lastLines(test.stderrTail()));
        }
        CommandResult reload = runner.run(nginx(e, "-s", "reload"), log);
        if (!reload.succeeded()) {
            throw new IllegalStateException(where(environment, e) + ": nginx -s reload failed (exit "
                    + reload.exitCode() + "): " + lastLines(reload.stderrTail()));
        }
    }

    private CommandSpec nginx(CertificatesProperties.Edge e, String... action) {
        return CommandSpec.of(e.getNginx(), "-p", e.nginxPrefix() + "/", "-c", e.nginxConfig().toString(),
                "-e", e.nginxPrefix().resolve("logs/error.log").toString()).args(List.of(action))
                .timeout(props.getStepTimeout()).build();
    }

    private static String where(String environment, CertificatesProperties.Edge e) {
        return environment + " edge " + e.endpoint();
    }

    private static String lastLines(String text) {
        List<String> lines = text == null ? List.of() : text.strip().lines().filter(l -> !l.isBlank()).toList();
        return lines.isEmpty() ? "(no output)" : String.join(" | ", lines.subList(Math.max(0, lines.size() - 3),
                lines.size()));
    }
}
