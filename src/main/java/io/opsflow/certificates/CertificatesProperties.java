package io.opsflow.certificates;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.annotation.Validated;

/**
 * {@code opsflow.certificates.*}: when renew-certificates checks on its own, when it renews, and per environment the
 * TLS edge it looks after: the Nginx that terminates TLS for the environment (its prefix directory, config and the
 * endpoint it serves) and the ACME account certbot uses (server, CA bundle to reach it, certbot's own directories).
 * The edge runs on the opsflow host (loopback in the sandbox); certbot and nginx are local commands.
 */
@Validated
@ConfigurationProperties(prefix = "opsflow.certificates")
public class CertificatesProperties {
    /** Cron of the scheduled check (Camunda 7.24: 6-field Spring syntax). Default: every 12 hours. */
    @NotBlank
    private String checkCron = "0 0 */12 * * *";
    /** A served certificate with less time left than this is renewed. */
    @NotNull
    private Duration renewBefore = Duration.ofDays(30);
    /** Timeout of one command (certbot, nginx). */
    @NotNull
    private Duration stepTimeout = Duration.ofMinutes(5);
    /** How long a reloaded Nginx gets to serve the new certificate. */
    @NotNull
    private Duration verifyTimeout = Duration.ofSeconds(30);
    @Valid
    private Map<String, Edge> environments = new LinkedHashMap<>();

    /** One environment's TLS edge. */
    public static class Edge {
        /** Address the edge serves TLS on (what the check connects to). */
        @NotBlank
        private String host = "127.0.0.1";
        @Min(1)
        @Max(65535)
        private int port = 443;
        /** certbot's certificate name (lineage); Nginx reads {@code <dir>/letsencrypt/config/live/<name>/}. */
        @Pattern(regexp = "[a-z0-9][a-z0-9.-]{0,62}")
        private String certName = "edge";
        /** Names the certificate covers when the run does not name any; the first is the SNI name checked. */
        private List<String> domains = new ArrayList<>();
        /** Every domain of this environment's certificate is this name or below it. */
        @NotBlank
        private String zone;
        /** Edge directory: nginx/ (prefix, nginx.conf), letsencrypt/{config,work,logs}, webroot/. */
        @NotNull
        private Path dir;
        /** ACME directory URL, e.g. https://acme-v02.api.letsencrypt.org/directory. */
        @NotBlank
        private String acmeServer;
        /** CA bundle certbot trusts for the ACME server (REQUESTS_CA_BUNDLE); empty = the system's. */
        private Path acmeCaBundle;
        /** PEM roots a served chain must lead to. */
        @NotNull
        private Path trustBundle;
        /** ACME account e-mail; empty = register without one. */
        private String email;
        private String nginx = "nginx";
        private String certbot = "certbot";

        public Path nginxPrefix() { return dir.toAbsolutePath().resolve("nginx"); }
        public Path nginxConfig() { return nginxPrefix().resolve("nginx.conf"); }
        public Path letsencrypt(String sub) { return dir.toAbsolutePath().resolve("letsencrypt").resolve(sub); }
        public Path webroot() { return dir.toAbsolutePath().resolve("webroot"); }
        public String endpoint() { return host + ":" + port; }

        public String getHost() { return host; }
        public void setHost(String v) { this.host = v; }
        public int getPort() { return port; }
        public void setPort(int v) { this.port = v; }
        public String getCertName() { return certName; }
        public void setCertName(String v) { this.certName = v; }
        public List<String> getDomains() { return domains; }
        public void setDomains(List<String> v) { this.domains = v; }
        public String getZone() { return zone; }
        public void setZone(String v) { this.zone = v; }
        public Path getDir() { return dir; }
        public void setDir(Path v) { this.dir = v; }
        public String getAcmeServer() { return acmeServer; }
        public void setAcmeServer(String v) { this.acmeServer = v; }
        public Path getAcmeCaBundle() { return acmeCaBundle; }
        public void setAcmeCaBundle(Path v) { this.acmeCaBundle = v; }
        public Path getTrustBundle() { return trustBundle; }
        public void setTrustBundle(Path v) { this.trustBundle = v; }
        public String getEmail() { return email; }
        public void setEmail(String v) { this.email = v; }
        public String getNginx() { return nginx; }
        public void setNginx(String v) { this.nginx = v; }
        public String getCertbot() { return certbot; }
        public void setCertbot(String v) { this.certbot = v; }
    }

    /** The edge of an environment, or an exception naming the key to configure. */
    public Edge edge(String environment) {
        Edge e = environments.get(environment);
        if (e == null) {
            throw new IllegalStateException("environment " + environment + " has no TLS edge: configure "
                    + "opsflow.certificates.environments." + environment);
        }
        return e;
    }

    public String getCheckCron() { return checkCron; }
    public void setCheckCron(String v) { this.checkCron = v; }
    public Duration getRenewBefore() { return renewBefore; }
    public void setRenewBefore(Duration v) { this.renewBefore = v; }
    public Duration getStepTimeout() { return stepTimeout; }
    public void setStepTimeout(Duration v) { this.stepTimeout = v; }
    public Duration getVerifyTimeout() { return verifyTimeout; }
    public void setVerifyTimeout(Duration v) { this.verifyTimeout = v; }
    public Map<String, Edge> getEnvironments() { return environments; }
    public void setEnvironments(Map<String, Edge> v) { this.environments = v; }
}
