package io.opsflow.sandbox;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

import io.opsflow.certificates.CertificateOperations;
import io.opsflow.certificates.CertificatesProperties;
import io.opsflow.step.exec.CommandResult;
import io.opsflow.step.exec.CommandRunner;
import io.opsflow.step.exec.CommandSpec;
import io.opsflow.step.exec.StepLogs;

/**
 * The sandbox's TLS edges, as seed 001's servers have them, all on loopback: one local ACME server (Let's Encrypt's
 * test server {@code pebble}, Debian package, challenges always valid, no deliberately rejected nonces) and per environment configured in
 * {@code opsflow.certificates.environments.<env>} a real Nginx terminating TLS in front of the environment's load
 * balancer, with a certificate that real {@code certbot} obtains from pebble at startup. The sandbox reads that
 * configuration ({@link CertificatesProperties}: it builds the edges the certificates runbook looks after); it adds only
 * {@code opsflow.sandbox.edge.*}: whether to build them and the lifetime pebble gives certificates.
 * <p>
 * Layout per edge ({@code dir}): {@code nginx/} (prefix: nginx.conf, nginx.pid, logs/, tmp/),
 * {@code letsencrypt/{config,work,logs}} (certbot; Nginx reads {@code config/live/<cert-name>/}), {@code webroot/}.
 * Pebble's own TLS certificate (made with openssl) goes to the edges' {@code acme-ca-bundle}; its roots, which it
 * regenerates at every start, to their {@code trust-bundle}. Without nginx, certbot, pebble or openssl the edges are
 * not built and a loud warning says so; the rest of the sandbox runs.
 */
public class SandboxEdge implements SmartLifecycle {
    private static final Logger LOG = LoggerFactory.getLogger(SandboxEdge.class);

    /** {@code opsflow.sandbox.edge.*}. */
    public static class Settings {
        private boolean enabled = true;
        /** Validity of the certificates pebble issues (seed 001: Let's Encrypt's 90 days). */
        private Duration certificateLifetime = Duration.ofDays(90);

        public boolean isEnabled() { return enabled; }
        public void setEnabled(boolean v) { this.enabled = v; }
        public Duration getCertificateLifetime() { return certificateLifetime; }
        public void setCertificateLifetime(Duration v) { this.certificateLifetime = v; }
    }

    private final Settings settings;
    private final Map<String, CertificatesProperties.Edge> edges;
    private final SandboxFleet fleet;
    private final CertificateOperations certificates;
    private final CommandRunner runner;
    private Process pebble;
    private volatile boolean running;
    private volatile String problem = "not started";
    private volatile CompletableFuture<Void> settled = new CompletableFuture<>();

    public SandboxEdge(Settings settings, CertificatesProperties edges, CertificateOperations certificates,
                       SandboxFleet fleet, CommandRunner runner) {
        this.settings = settings;
        this.edges = new LinkedHashMap<>(edges.getEnvironments());
        this.certificates = certificates;
        this.fleet = fleet;
        this.runner = runner;
    }

    /** Why the edges are not up (null when they are; "starting" while they come up). */
    public String problem() {
        return problem;
    }

    /**
     * Waits until the start in the background has ended (up or not) and says why the edges are not up: null when they
     * are, "starting" when {@code timeout} ran out first.
     */
    public String awaitStarted(Duration timeout) {
        try {
            settled.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return problem;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            // bringUp completes normally; nothing to add
        }
        return problem;
    }

    /**
     * Checks the tools, then brings the edges up on a thread of their own: pebble, one certificate per edge through
     * the runbook's own certbot call, Nginx — seconds of work the application's start does not wait for (the web
     * server answers meanwhile). Until they are up {@link #problem()} says "starting" and a renew-certificates step
     * that reaches an edge fails and is retried.
     */
    @Override
    public synchronized void start() {
        running = true;
        settled = new CompletableFuture<>();
        if (!settings.isEnabled() || edges.isEmpty()) {
            problem = "disabled (opsflow.sandbox.edge.enabled=false or no opsflow.certificates.environments)";
            settled.complete(null);
            return;
        }
        for (String tool : List.of("nginx", "certbot", "pebble", "openssl")) {
            if (!onPath(tool)) {
                problem = tool + " not found (apt-get install nginx certbot pebble openssl)";
                LOG.warn("!!! sandbox TLS edges NOT started: {}; renew-certificates will fail on them", problem);
                settled.complete(null);
                return;
            }
        }
        problem = "starting";
        CompletableFuture<Void> done = settled;
        Thread t = new Thread(() -> bringUp(done), "sandbox-edge-start");
        t.setDaemon(true);
        t.start();
    }

    private synchronized void bringUp(CompletableFuture<Void> done) {
        try {
            if (!running || done != settled) {
                return; // stopped (or started again) before this thread got to it
            }
            long t0 = System.nanoTime();
            try {
                CertificatesProperties.Edge first = edges.values().iterator().next();
                startPebble(first);
                for (Map.Entry<String, CertificatesProperties.Edge> e : edges.entrySet()) {
                    startEdge(e.getKey(), e.getValue());
                }
                problem = null;
                LOG.info("sandbox TLS edges up in {} ms: {}", (System.nanoTime() - t0) / 1_000_000,
                        edges.entrySet().stream().map(e -> e.getKey() + " https://" + e.getValue().getHost() + ":"
                                + e.getValue().getPort() + " " + e.getValue().getDomains()).toList());
            } catch (IOException | RuntimeException e) {
                problem = e.getMessage();
                LOG.warn("!!! sandbox TLS edges NOT started: {}", problem, e);
                stopAll();
            }
        } finally {
            done.complete(null);
        }
    }

    private void startPebble(CertificatesProperties.Edge spec) throws IOException {
        URI acme = URI.create(spec.getAcmeServer());
        int port = acme.getPort();
        Path dir = spec.getAcmeCaBundle().toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path key = dir.resolve("pebble-tls.key");
        if (!Files.exists(spec.getAcmeCaBundle()) || !Files.exists(key)) {
            run(CommandSpec.of("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-days", "3650", "-subj", "/CN=pebble sandbox", "-addext",
                    "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", key.toString(), "-out",
                    spec.getAcmeCaBundle().toString()).timeout(Duration.ofSeconds(30)).build(), "openssl");
        }
        Path config = dir.resolve("pebble-config.json");
        Files.writeString(config, """
                {"pebble": {"listenAddress": "127.0.0.1:%d", "managementListenAddress": "127.0.0.1:%d",
                  "certificate": "%s", "privateKey": "%s", "httpPort": %d, "tlsPort": %d,
                  "ocspResponderURL": "", "externalAccountBindingRequired": false,
                  "certificateValidityPeriod": %d}}
                """.formatted(port, port + 1, json(spec.getAcmeCaBundle().toAbsolutePath()), json(key.toAbsolutePath()),
                port + 2, port + 3, settings.getCertificateLifetime().toSeconds()));
        ProcessBuilder pb = new ProcessBuilder(List.of("pebble", "-config", config.toString()))
                .redirectErrorStream(true).redirectOutput(dir.resolve("pebble.log").toFile());
        pb.environment().put("PEBBLE_VA_ALWAYS_VALID", "1");
        pb.environment().put("PEBBLE_VA_NOSLEEP", "1");
        // pebble rejects 5 % of good nonces by default to exercise clients' retries; certbot 2.1 does not retry an
        // account registration, and a sandbox that fails one start in twenty helps nobody
        pb.environment().put("PEBBLE_WFE_NONCEREJECT", "0");
        pebble = pb.start();
        HttpClient http = HttpClient.newBuilder().sslContext(trusting(spec.getAcmeCaBundle()))
                .connectTimeout(Duration.ofSeconds(2)).build();
        String root = null;
        Instant deadline = Instant.now().plusSeconds(20);
        while (root == null) {
            if (!pebble.isAlive()) {
                throw new IllegalStateException("pebble exited at start (port " + port + " taken?): "
                        + tail(dir.resolve("pebble.log")));
            }
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + (port + 1)
                        + "/roots/0")).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    root = r.body();
                }
            } catch (IOException notYet) {
                if (Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException("pebble's management API on port " + (port + 1) + " did not "
                            + "answer: " + notYet.getMessage(), notYet);
                }
                sleep();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        for (CertificatesProperties.Edge e : edges.values()) {
            Files.createDirectories(e.getTrustBundle().toAbsolutePath().getParent());
            Files.writeString(e.getTrustBundle(), root);
        }
    }

    private void startEdge(String env, CertificatesProperties.Edge e) throws IOException {
        Path prefix = e.nginxPrefix();
        for (String sub : List.of("logs", "tmp")) {
            Files.createDirectories(prefix.resolve(sub));
        }
        Files.createDirectories(e.webroot());
        quitNginx(prefix);
        // pebble made new roots: the certificate of an earlier start no longer chains, so every start issues one,
        // with the runbook's own certbot call
        StepLogs.MemoryStepLog log = StepLogs.memory();
        try {
            certificates.obtain(env, e.getDomains(), log);
        } catch (RuntimeException ex) {
            throw new IllegalStateException(ex.getMessage() + "; " + log.tail(), ex);
        }
        Path live = e.letsencrypt("config").resolve("live").resolve(e.getCertName());
        int upstream = fleet.loadBalancer(env).port();
        Files.writeString(e.nginxConfig(), """
                # sandbox TLS edge of %1$s, written by SandboxEdge at every start
                worker_processes 1;
                pid %2$s/nginx.pid;
                error_log %2$s/logs/error.log warn;
                events { worker_connections 512; }
                http {
                  access_log %2$s/logs/access.log;
                  client_body_temp_path %2$s/tmp/body;
                  proxy_temp_path %2$s/tmp/proxy;
                  fastcgi_temp_path %2$s/tmp/fastcgi;
                  uwsgi_temp_path %2$s/tmp/uwsgi;
                  scgi_temp_path %2$s/tmp/scgi;
                  server {
                    listen %3$s:%4$d ssl;
                    server_name %5$s;
                    ssl_protocols TLSv1.2 TLSv1.3;
                    ssl_certificate %6$s/fullchain.pem;
                    ssl_certificate_key %6$s/privkey.pem;
                    location /.well-known/acme-challenge/ { root %7$s; }
                    location / {
                      proxy_pass http://127.0.0.1:%8$d;
                      proxy_set_header Host $host;
                      proxy_set_header X-Forwarded-Proto https;
                    }
                  }
                }
                """.formatted(env, prefix, e.getHost(), e.getPort(), String.join(" ", e.getDomains()), live,
                e.webroot(), upstream));
        run(CommandSpec.of("nginx", "-p", prefix + "/", "-c", e.nginxConfig().toString(), "-e",
                prefix.resolve("logs/error.log").toString()).timeout(Duration.ofSeconds(30)).build(), "nginx " + env);
    }

    /** Stops an Nginx this edge started earlier (its pid file), gracefully. */
    private void quitNginx(Path prefix) {
        Path pid = prefix.resolve("nginx.pid");
        if (!Files.exists(pid)) {
            return;
        }
        try {
            long p = Long.parseLong(Files.readString(pid).strip());
            ProcessHandle.of(p).filter(h -> h.info().command().map(c -> c.contains("nginx")).orElse(false))
                    .ifPresent(h -> {
                        h.destroy();
                        h.onExit().orTimeout(10, java.util.concurrent.TimeUnit.SECONDS).exceptionally(x -> h).join();
                    });
            Files.deleteIfExists(pid);
        } catch (IOException | NumberFormatException e) {
            LOG.warn("sandbox edge: could not stop the Nginx of {}: {}", pid, e.toString());
        }
    }

    private void run(CommandSpec spec, String what) {
        StepLogs.MemoryStepLog log = StepLogs.memory();
        CommandResult r = runner.run(spec, log);
        if (!r.succeeded()) {
            throw new IllegalStateException(what + " failed (exit " + r.exitCode() + "): " + log.tail());
        }
    }

    /** Waits for a start in progress (the monitor), then stops what it started. */
    @Override
    public synchronized void stop() {
        running = false;
        stopAll();
        if (problem == null || "starting".equals(problem)) {
            problem = "stopped";
        }
        settled.complete(null);
    }

    private void stopAll() {
        for (CertificatesProperties.Edge e : edges.values()) {
            quitNginx(e.nginxPrefix());
        }
        if (pebble != null) {
            pebble.destroy();
            pebble = null;
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** After the fleet (phase 0): the edges proxy to its load balancers. */
    @Override
    public int getPhase() {
        return 1;
    }

    private static SSLContext trusting(Path pem) throws IOException {
        try {
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            int i = 0;
            try (var in = Files.newInputStream(pem)) {
                for (var c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                    ks.setCertificateEntry("ca" + i++, (X509Certificate) c);
                }
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException("cannot trust " + pem + ": " + e.getMessage(), e);
        }
    }

    private static boolean onPath(String tool) {
        String path = System.getenv().getOrDefault("PATH", SandboxProperties.DEFAULT_HOST_PATH);
        for (String d : (path + ":/usr/sbin:/sbin").split(":")) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }

    private static String json(Path p) {
        return p.toString().replace("\\", "\\\\").replace("\"", "\\\"");
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
