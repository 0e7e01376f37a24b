package io.opsflow.certificates;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.task.Task;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

import io.opsflow.sandbox.SandboxEdge;
import io.opsflow.testsupport.RealComponent;
import io.opsflow.testsupport.RestClient;
import io.opsflow.testsupport.SandboxApp;

/**
 * renew-certificates end to end on the sandbox with the real tools: pebble (local ACME server) issued the edges'
 * certificates through certbot at startup with a 2-hour lifetime (the IT setting), so a routine run finds the staging
 * certificate below 30 days and renews it — certbot, nginx -t, graceful reload — while a request loop opens a new
 * TLS connection to the edge every few milliseconds, validating the chain against pebble's root and the host name:
 * no request fails, and the served certificate changes and chains. Misuse next to it: bad domains and forged
 * approvals are refused with 400 and start nothing; a forced re-issue in production waits for a second person.
 */
@SandboxApp.Test
class RenewCertificatesIT {
    @LocalServerPort
    int port;
    @Autowired
    ProcessEngine engine;
    @Autowired
    CertificatesProperties props;
    @Autowired
    SandboxEdge edge;
    @Autowired
    io.opsflow.step.exec.StepLogs stepLogs;

    @BeforeEach
    void realTools() {
        RealComponent.require("nginx", "apt-get install nginx", "/usr/sbin/nginx");
        RealComponent.require("certbot", "apt-get install certbot", "/usr/bin/certbot");
        RealComponent.require("pebble", "apt-get install pebble", "/usr/bin/pebble");
        // the edges come up in the background after the application started
        assertThat(edge.awaitStarted(java.time.Duration.ofMinutes(3))).as("the sandbox TLS edges are up").isNull();
    }

    @Test
    void aShortLivedCertificateIsRenewedWhileRequestsKeepSucceeding() throws Exception {
        CertificatesProperties.Edge staging = props.edge("staging");
        String domain = staging.getDomains().get(0);
        CertificateOperations.ServedCertificate before = served(staging, domain);
        assertThat(before.chains()).as(String.valueOf(before.chainProblem())).isTrue();
        assertThat(Duration.between(Instant.now(), before.notAfter())).as("pebble issued a short-lived certificate")
                .isLessThan(Duration.ofHours(3));

        SSLContext tls = trusting(staging);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger ok = new AtomicInteger();
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        Set<String> serialsSeen = Collections.synchronizedSet(new LinkedHashSet<>());
        Thread loop = new Thread(() -> {
            while (!stop.get()) {
                try {
                    serialsSeen.add(get(tls, staging, domain, "/version"));
                    ok.incrementAndGet();
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    return;
                } catch (Exception e) {
                    failures.add(e.toString());
                }
            }
        }, "certificates-it-request-loop");
        loop.start();
        String pi;
        try {
            RestClient.Response started = RestClient.as(port, "operator").post(
                    "/engine-rest/process-definition/key/renew-certificates/start",
                    RestClient.variables("environment", "staging", "reason", "certificates IT"));
            assertThat(started.status()).as(started.body()).isEqualTo(200);
            pi = started.json().get("id").asText();
            SandboxApp.awaitEnd(engine, pi, Duration.ofMinutes(3));
            Thread.sleep(500); // requests on the new certificate
        } finally {
            stop.set(true);
            loop.join(10_000);
        }
        assertThat(failures).as("failed requests through the edge during the renewal").isEmpty();
        assertThat(ok.get()).as("requests answered during the run").isGreaterThan(20);
        assertThat(var(pi, "outcome")).isEqualTo("SUCCEEDED");
        assertThat(var(pi, "certificateRenewed")).isEqualTo(true);
        assertThat((String) var(pi, "certificatePlan")).contains("expires in").contains("less than 30d");

        CertificateOperations.ServedCertificate after = served(staging, domain);
        assertThat(after.serial()).as("a new certificate is served").isNotEqualTo(before.serial())
                .isEqualTo(var(pi, "newSerial"));
        assertThat(after.chainProblem()).as("the new chain leads to pebble's root").isNull();
        assertThat(after.notAfter()).isAfter(before.notAfter());
        assertThat(after.names()).containsAll(staging.getDomains());
        assertThat(serialsSeen).as("the loop saw the old certificate, then the new one")
                .contains(before.serial(), after.serial());
    }

    /**
     * A broken Nginx configuration: certbot has issued (the new files are on disk), {@code nginx -t} refuses, nothing
     * is reloaded and the edge keeps serving the old certificate; the run stops at the reload with the reason in its
     * step log. (The run is deleted afterwards: its retries are the engine's, see the process test.)
     */
    @Test
    void aBrokenNginxConfigStopsBeforeTheReloadAndTheOldCertificateKeepsServing() throws Exception {
        CertificatesProperties.Edge staging = props.edge("staging");
        String domain = staging.getDomains().get(0);
        String before = served(staging, domain).serial();
        java.nio.file.Path conf = staging.nginxConfig();
        String original = java.nio.file.Files.readString(conf);
        java.nio.file.Files.writeString(conf, original + "\nthis_is_not_an_nginx_directive on;\n");
        String pi = null;
        try {
            RestClient.Response started = RestClient.as(port, "operator").post(
                    "/engine-rest/process-definition/key/renew-certificates/start",
                    RestClient.variables("environment", "staging", "force", true, "reason", "broken config IT"));
            assertThat(started.status()).as(started.body()).isEqualTo(200);
            String run = started.json().get("id").asText();
            pi = run;
            SandboxApp.await(() -> stepLogs(run).contains("test failed"), Duration.ofMinutes(2),
                    "nginx -t to refuse the broken configuration");
            assertThat(stepLogs(run)).contains("unknown directive \"this_is_not_an_nginx_directive\"")
                    .doesNotContain("-s reload");
            assertThat(engine.getHistoryService().createHistoricActivityInstanceQuery().processInstanceId(run)
                    .activityId("Task_ObtainCertificate").finished().count()).as("certbot issued").isEqualTo(1);
            assertThat(engine.getRuntimeService().getActiveActivityIds(run)).containsExactly("Task_ReloadNginx");
            assertThat(get(trusting(staging), staging, domain, "/version")).as("the old certificate keeps serving")
                    .isEqualTo(before);
        } finally {
            java.nio.file.Files.writeString(conf, original);
            if (pi != null) {
                engine.getRuntimeService().deleteProcessInstance(pi, "certificates IT: broken config checked");
            }
        }
    }

    /** Every step log of the run, concatenated. */
    private String stepLogs(String pi) {
        StringBuilder all = new StringBuilder();
        for (io.opsflow.step.exec.StepLogs.Entry e : stepLogs.list(pi)) {
            stepLogs.read(pi, e.activityInstanceId(), 0).ifPresent(t -> all.append(t.text()).append('\n'));
        }
        return all.toString();
    }

    @Test
    void misuseIsRefusedAndAForcedProductionReissueNeedsASecondPerson() throws Exception {
        RestClient operator = RestClient.as(port, "operator");
        long runs = runs();
        for (Object[] bad : new Object[][] {
                {"environment", "staging", "domains", "evil.example.org"},
                {"environment", "staging", "domains", "x.staging.opsflow.test -d evil.example.org"},
                {"environment", "production", "force", true},
                {"environment", "production", "force", true, "reason", "drill", "approved", true}}) {
            RestClient.Response r = operator.post("/engine-rest/process-definition/key/renew-certificates/start",
                    RestClient.variables(bad));
            assertThat(r.status()).as(r.body()).isEqualTo(400);
        }
        assertThat(runs()).as("a refused start leaves no run").isEqualTo(runs);

        CertificatesProperties.Edge production = props.edge("production");
        String domain = production.getDomains().get(0);
        String servedBefore = served(production, domain).serial();
        RestClient.Response started = operator.post("/engine-rest/process-definition/key/renew-certificates/start",
                RestClient.variables("environment", "production", "force", true, "reason", "key rotation IT"));
        assertThat(started.status()).as(started.body()).isEqualTo(200);
        String pi = started.json().get("id").asText();
        Task approval = SandboxApp.awaitTask(engine, pi, "Task_Approve", Duration.ofMinutes(1));
        assertThat(served(production, domain).serial()).as("nothing changes before the approval")
                .isEqualTo(servedBefore);
        assertThat(operator.post("/engine-rest/task/" + approval.getId() + "/complete",
                RestClient.variables("approved", true)).status()).as("the initiator cannot approve").isNotIn(200, 204);
        RestClient.Response approved = RestClient.as(port, "approver").post("/engine-rest/task/" + approval.getId()
                + "/complete", RestClient.variables("approved", true, "comment", "go"));
        assertThat(approved.status()).as(approved.body()).isIn(200, 204);
        SandboxApp.awaitEnd(engine, pi, Duration.ofMinutes(3));
        assertThat(var(pi, "outcome")).isEqualTo("SUCCEEDED");
        CertificateOperations.ServedCertificate after = served(production, domain);
        assertThat(after.serial()).isNotEqualTo(servedBefore);
        assertThat(after.chainProblem()).isNull();
    }

    private long runs() {
        return engine.getHistoryService().createHistoricProcessInstanceQuery()
                .processDefinitionKey(RenewCertificatesRunbook.PROCESS_KEY).count();
    }

    private Object var(String pi, String name) {
        return engine.getHistoryService().createHistoricVariableInstanceQuery().processInstanceId(pi)
                .variableName(name).singleResult().getValue();
    }

    private static CertificateOperations.ServedCertificate served(CertificatesProperties.Edge e, String domain)
            throws Exception {
        List<X509Certificate> chain = TlsProbe.servedChain(e.getHost(), e.getPort(), domain, Duration.ofSeconds(5));
        X509Certificate leaf = chain.get(0);
        return new CertificateOperations.ServedCertificate(leaf.getSerialNumber().toString(16),
                TlsProbe.dnsNames(leaf), leaf.getNotAfter().toInstant(), leaf.getIssuerX500Principal().getName(),
                TlsProbe.chainProblem(chain, e.getTrustBundle()));
    }

    /** A client that trusts only pebble's root. */
    private static SSLContext trusting(CertificatesProperties.Edge e) throws Exception {
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        int i = 0;
        for (X509Certificate root : TlsProbe.readPem(e.getTrustBundle())) {
            ks.setCertificateEntry("root" + i++, root);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    /**
     * One request on a new TLS connection (chain and host name verified, as a browser would); returns the served
     * certificate's serial; throws unless the answer is 200.
     */
    private static String get(SSLContext tls, CertificatesProperties.Edge e, String domain, String path)
            throws Exception {
        try (SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket()) {
            s.connect(new InetSocketAddress(e.getHost(), e.getPort()), 3000);
            s.setSoTimeout(5000);
            SSLParameters p = s.getSSLParameters();
            p.setServerNames(List.of(new SNIHostName(domain)));
            p.setEndpointIdentificationAlgorithm("HTTPS");
            s.setSSLParameters(p);
            s.startHandshake();
            String serial = ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSerialNumber()
                    .toString(16);
            OutputStream out = s.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: " + domain + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String status = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII))
                    .readLine();
            if (status == null || !status.startsWith("HTTP/1.1 200")) {
                throw new IllegalStateException("https://" + domain + path + " answered " + status);
            }
            return serial;
        }
    }
}
