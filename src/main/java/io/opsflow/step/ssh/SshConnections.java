package io.opsflow.step.ssh;

import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

import io.opsflow.step.exec.Lazy;
import io.opsflow.step.exec.SecretRef;
import net.schmizz.keepalive.KeepAliveProvider;
import net.schmizz.sshj.Config;
import net.schmizz.sshj.DefaultConfig;
import net.schmizz.sshj.SSHClient;
import net.schmizz.sshj.common.Buffer;
import net.schmizz.sshj.common.KeyType;
import net.schmizz.sshj.transport.verification.FingerprintVerifier;
import net.schmizz.sshj.transport.verification.HostKeyVerifier;
import net.schmizz.sshj.transport.verification.OpenSSHKnownHosts;
import net.schmizz.sshj.userauth.keyprovider.KeyProvider;

/**
 * Opens authenticated SSH connections (SSHJ). Host keys are always verified, against a known_hosts file and/or pinned
 * fingerprints; a verifier that accepts any host key is never used. Authentication is by private key only (from a key
 * reference), with passphrase support. Every failure is typed and its message says what to fix:
 * {@link SshConnectException}, {@link HostKeyVerificationException}, {@link SshAuthenticationException}.
 *
 * <p>Connections are pooled per target (SSHJ pools nothing, see hierynomus/sshj#584): {@link #open} hands out an
 * {@link SshSession} on an authenticated connection, reused when one to the same target is idle or has room (at
 * most {@code maxSessionsPerConnection} sessions share one connection: OpenSSH refuses channels past
 * {@code MaxSessions}, 10 by default, and a session may use up to three: command, kill, SFTP). Closing the session
 * returns the connection. A pooled connection is reused only while it is alive (keepalive every
 * {@value #KEEPALIVE_SECONDS} s) and while the host key it verified is still trusted by the target's current
 * known_hosts/fingerprints; when a new connection to a host presents a different host key, every pooled connection
 * to that host is retired. Connections idle longer than {@code idleTimeout} are closed. {@link #openDedicated} opens a
 * connection of its own, closed with its session.
 */
@Component
public class SshConnections implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SshConnections.class);
    private static final int KEEPALIVE_SECONDS = 15;
    /** Closes the socket of a handshake that takes longer than twice the connect timeout. */
    private static final ScheduledExecutorService HANDSHAKE_GUARD = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "ssh-handshake-guard");
        t.setDaemon(true);
        return t;
    });
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);
    public static final int DEFAULT_MAX_SESSIONS_PER_CONNECTION = 3;

    private final Duration connectTimeout;
    private final Duration idleTimeout;
    private final int maxSessionsPerConnection;
    /**
     * SSHJ's configuration, built on the first connection: {@code new DefaultConfig()} registers BouncyCastle and
     * tries every cipher, ~0.3 s that the application's start need not wait for (docs/BENCHMARKS.md).
     */
    private final Lazy<Config> config = new Lazy<>(() -> {
        DefaultConfig c = new DefaultConfig();
        c.setKeepAliveProvider(KeepAliveProvider.KEEP_ALIVE);
        return c;
    });
    private final Map<SshTarget, HostPool> pools = new ConcurrentHashMap<>();
    private ScheduledExecutorService evictor;
    private boolean closed;

    @Autowired
    public SshConnections(SshProperties properties,
                          @Value("${opsflow.ssh.pool.idle-timeout:PT60S}") String idleTimeout,
                          @Value("${opsflow.ssh.pool.max-sessions-per-connection:3}") int maxSessionsPerConnection) {
        this(properties.connectTimeout(), isoDuration("opsflow.ssh.pool.idle-timeout", idleTimeout),
                maxSessionsPerConnection);
    }

    private static Duration isoDuration(String property, String value) {
        try {
            return Duration.parse(value.strip());
        } catch (java.time.format.DateTimeParseException e) {
            throw new IllegalArgumentException(property + " must be an ISO-8601 duration such as PT60S: '" + value
                    + "'", e);
        }
    }

    public SshConnections(SshProperties properties) {
        this(properties.connectTimeout());
    }

    public SshConnections(Duration connectTimeout) {
        this(connectTimeout, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_SESSIONS_PER_CONNECTION);
    }

    public SshConnections(Duration connectTimeout, Duration idleTimeout, int maxSessionsPerConnection) {
        if (connectTimeout == null || connectTimeout.isNegative() || connectTimeout.isZero()) {
            throw new IllegalArgumentException("ssh connect timeout must be positive: " + connectTimeout);
        }
        if (idleTimeout == null || idleTimeout.isNegative()) {
            throw new IllegalArgumentException("ssh pool idle timeout must not be negative: " + idleTimeout
                    + " (PT0S: no pooling)");
        }
        if (maxSessionsPerConnection < 1 || maxSessionsPerConnection > 9) {
            throw new IllegalArgumentException("opsflow.ssh.pool.max-sessions-per-connection must be 1..9 (OpenSSH"
                    + " MaxSessions is 10 by default): " + maxSessionsPerConnection);
        }
        this.connectTimeout = connectTimeout;
        this.idleTimeout = idleTimeout;
        this.maxSessionsPerConnection = maxSessionsPerConnection;
    }

    /** Whether SSHJ's configuration has been built yet (it is on the first connection). */
    boolean configured() {
        return config.built();
    }

    Config config() {
        return config.get();
    }

    public Duration connectTimeout() {
        return connectTimeout;
    }

    /**
     * A session on an authenticated connection to {@code target}: a pooled one when possible, else a new one (host
     * key verified, key authentication), which joins the pool. Closing the session returns the connection.
     */
    public SshSession open(SshTarget target) {
        if (idleTimeout.isZero()) {
            return openDedicated(target);
        }
        TrustingVerifier trust = verifier(target);
        HostPool pool = pools.computeIfAbsent(target, t -> new HostPool());
        synchronized (pool) {
            Pooled best = null;
            for (Iterator<Pooled> it = pool.connections.iterator(); it.hasNext(); ) {
                Pooled c = it.next();
                if (!c.alive() || !trust.stillTrusts(target, c.hostKey)) {
                    LOG.debug("ssh pool {}: retiring a connection ({})", target.display(),
                            c.alive() ? "its host key is no longer trusted" : "connection lost");
                    it.remove();
                    c.retire();
                    continue;
                }
                if (c.holders < maxSessionsPerConnection && (best == null || c.holders < best.holders)) {
                    best = c;
                }
            }
            if (best != null) {
                best.holders++;
                return new SshSession(target, best.client, best, true);
            }
        }
        // a new connection, opened outside the pool's lock: other hosts and other sessions do not wait for it
        Connected fresh = connect(target, trust);
        Pooled c = new Pooled(pool, fresh.client, fresh.hostKey);
        synchronized (pool) {
            for (Iterator<Pooled> it = pool.connections.iterator(); it.hasNext(); ) {
                Pooled old = it.next();
                if (!sha256Fingerprint(old.hostKey).equals(sha256Fingerprint(fresh.hostKey))) {
                    LOG.warn("ssh {}: the host key changed to {}; pooled connections verified with {} are closed",
                            target.display(), sha256Fingerprint(fresh.hostKey), sha256Fingerprint(old.hostKey));
                    it.remove();
                    old.retire();
                }
            }
            c.holders = 1;
            pool.connections.add(c);
        }
        startEvictor();
        return new SshSession(target, c.client, c, false);
    }

    /** Connects, verifies the host key and authenticates a connection of its own: closing the session closes it. */
    public SshSession openDedicated(SshTarget target) {
        return new SshSession(target, connect(target, verifier(target)).client);
    }

    /** Connections in the pool for {@code target} (for tests and metrics). */
    public int pooledConnections(SshTarget target) {
        HostPool p = pools.get(target);
        if (p == null) {
            return 0;
        }
        synchronized (p) {
            return p.connections.size();
        }
    }

    /** Closes pooled connections idle longer than the idle timeout (also run periodically). */
    public void evictIdle() {
        long now = System.nanoTime();
        for (HostPool p : pools.values()) {
            synchronized (p) {
                for (Iterator<Pooled> it = p.connections.iterator(); it.hasNext(); ) {
                    Pooled c = it.next();
                    if (c.holders == 0 && (now - c.idleSince >= idleTimeout.toNanos() || !c.alive())) {
                        it.remove();
                        c.retire();
                    }
                }
            }
        }
    }

    private synchronized void startEvictor() {
        if (evictor != null || closed) {
            return;
        }
        evictor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ssh-pool-evictor");
            t.setDaemon(true);
            return t;
        });
        long every = Math.max(100, Math.min(5000, idleTimeout.toMillis() / 2));
        evictor.scheduleWithFixedDelay(this::evictIdle, every, every, TimeUnit.MILLISECONDS);
    }

    /** Closes every pooled connection; sessions still open keep theirs until they close. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            if (evictor != null) {
                evictor.shutdownNow();
            }
        }
        for (HostPool p : pools.values()) {
            synchronized (p) {
                for (Pooled c : p.connections) {
                    c.retire();
                }
                p.connections.clear();
            }
        }
    }

    /** The pooled connections to one target. */
    private static final class HostPool {
        final List<Pooled> connections = new ArrayList<>();
    }

    /** One pooled connection; fields guarded by its pool's monitor. */
    static final class Pooled implements SshSession.Release {
        private final HostPool pool;
        final SSHClient client;
        final PublicKey hostKey;
        int holders;
        long idleSince = System.nanoTime();
        boolean retired;

        Pooled(HostPool pool, SSHClient client, PublicKey hostKey) {
            this.pool = pool;
            this.client = client;
            this.hostKey = hostKey;
        }

        boolean alive() {
            return !retired && client.isConnected() && client.isAuthenticated();
        }

        /** Out of the pool: closed now when nobody uses it, else when the last session returns it. */
        void retire() {
            retired = true;
            if (holders == 0) {
                closeQuietly(client);
            }
        }

        @Override
        public void release(boolean broken) {
            synchronized (pool) {
                holders--;
                idleSince = System.nanoTime();
                if (broken || !alive()) {
                    pool.connections.remove(this);
                    retired = true;
                }
                if (retired && holders == 0) {
                    closeQuietly(client);
                }
            }
        }
    }

    private record Connected(SSHClient client, PublicKey hostKey) {
    }

    /**
     * Sockets with {@code TCP_NODELAY}. SSH sends small packets and waits for the answer (channel open, exec request,
     * key exchange); with Nagle's algorithm on, a small packet sent while an earlier one is unacknowledged waits for
     * the peer's delayed ACK, about 40 ms on Linux. Measured (bench/run --only=ssh, step_part_ms_raw_channel_open):
     * opening a channel on a connected client took 44 ms before, well under a millisecond with it.
     */
    static final javax.net.SocketFactory NO_DELAY = new javax.net.SocketFactory() {
        private final javax.net.SocketFactory plain = javax.net.SocketFactory.getDefault();

        @Override
        public java.net.Socket createSocket() throws IOException {
            return noDelay(plain.createSocket());
        }

        @Override
        public java.net.Socket createSocket(String host, int port) throws IOException {
            return noDelay(plain.createSocket(host, port));
        }

        @Override
        public java.net.Socket createSocket(String host, int port, java.net.InetAddress local, int localPort)
                throws IOException {
            return noDelay(plain.createSocket(host, port, local, localPort));
        }

        @Override
        public java.net.Socket createSocket(java.net.InetAddress host, int port) throws IOException {
            return noDelay(plain.createSocket(host, port));
        }

        @Override
        public java.net.Socket createSocket(java.net.InetAddress host, int port, java.net.InetAddress local,
                                            int localPort) throws IOException {
            return noDelay(plain.createSocket(host, port, local, localPort));
        }

        private java.net.Socket noDelay(java.net.Socket s) throws IOException {
            s.setTcpNoDelay(true);
            return s;
        }
    };

    private Connected connect(SshTarget target, TrustingVerifier verifier) {
        Path keyFile = keyFile(target);
        char[] passphrase = passphrase(target);
        SSHClient client = new SSHClient(config());
        boolean ok = false;
        try {
            client.setSocketFactory(NO_DELAY);
            client.addHostKeyVerifier(verifier);
            client.setConnectTimeout((int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()));
            // the handshake (the server's identification, key exchange) gets the connect timeout as well: a host
            // that accepts the TCP connection but never speaks SSH (an overloaded or half-dead sshd) would otherwise
            // block the step for ever. The socket is closed under it; found by FaultMatrixIT.
            java.util.concurrent.atomic.AtomicBoolean handshakeTimedOut = new java.util.concurrent.atomic.AtomicBoolean();
            java.util.concurrent.ScheduledFuture<?> guard = HANDSHAKE_GUARD.schedule(() -> {
                java.net.Socket socket = client.getSocket();
                if (socket != null && !client.isConnected()) {
                    handshakeTimedOut.set(true);
                    try {
                        socket.close();
                    } catch (IOException ignored) {
                        // closing is all we want
                    }
                }
            }, 2 * connectTimeout.toMillis(), TimeUnit.MILLISECONDS);
            try {
                client.connect(target.host(), target.port());
            } catch (IOException e) {
                if (verifier.rejection != null) {
                    throw new HostKeyVerificationException(verifier.rejection, verifier.presented, e);
                }
                if (handshakeTimedOut.get()) {
                    throw new SshConnectException("Cannot connect to " + target.display() + " (the TCP connection was"
                            + " accepted but the SSH handshake did not complete within " + 2 * connectTimeout.toSeconds()
                            + "s: is sshd overloaded or hung?)", e);
                }
                throw new SshConnectException(connectMessage(target, e), e);
            } finally {
                guard.cancel(false);
            }
            client.getConnection().getKeepAlive().setKeepAliveInterval(KEEPALIVE_SECONDS);
            KeyProvider key;
            try {
                key = passphrase == null ? client.loadKeys(keyFile.toString())
                        : client.loadKeys(keyFile.toString(), passphrase);
                key.getPrivate(); // decrypt now: a wrong passphrase is a clear error, not a vague auth failure
            } catch (IOException | RuntimeException e) {
                throw new SshAuthenticationException("Cannot read the private key " + keyFile + " (keyRef "
                        + target.keyRef() + "): " + sentence(e.getMessage()) + " "
                        + (target.passphraseRef() == null
                        ? "If the key is passphrase-protected, configure its passphrase reference (passphraseRef)."
                        : "Check that passphrase reference " + target.passphraseRef()
                        + " holds the key's passphrase and that the file is an OpenSSH/PEM private key."), e);
            }
            try {
                client.authPublickey(target.user(), key);
            } catch (IOException e) {
                throw new SshAuthenticationException("Public key authentication as " + target.display()
                        + " failed with key " + keyFile + " (keyRef " + target.keyRef() + "): "
                        + sentence(e.getMessage()) + " Add the key's public half to ~" + target.user()
                        + "/.ssh/authorized_keys on the host, or fix the user/key configuration.", e);
            }
            ok = true;
            return new Connected(client, verifier.accepted);
        } finally {
            if (passphrase != null) {
                java.util.Arrays.fill(passphrase, '\0');
            }
            if (!ok) {
                closeQuietly(client);
            }
        }
    }

    private static Path keyFile(SshTarget target) {
        Path p;
        try {
            p = SecretRef.parse(target.keyRef()).path();
        } catch (RuntimeException e) {
            throw new SshAuthenticationException("SSH key reference " + target.keyRef() + " cannot be resolved: "
                    + e.getMessage(), e);
        }
        if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
            throw new SshAuthenticationException("SSH private key file " + p + " (keyRef " + target.keyRef()
                    + ") does not exist or is not readable by the opsflow process", null);
        }
        return p;
    }

    private static char[] passphrase(SshTarget target) {
        if (target.passphraseRef() == null) {
            return null;
        }
        try {
            return SecretRef.parse(target.passphraseRef()).resolve().toCharArray();
        } catch (RuntimeException e) {
            throw new SshAuthenticationException("SSH key passphrase " + e.getMessage(), e);
        }
    }

    private static TrustingVerifier verifier(SshTarget target) {
        List<HostKeyVerifier> delegates = new ArrayList<>();
        Path kh = target.knownHostsFile();
        ReportingKnownHosts knownHosts = null;
        if (kh != null) {
            if (!Files.isRegularFile(kh) || !Files.isReadable(kh)) {
                throw new HostKeyVerificationException("known_hosts file " + kh + " for " + target.display()
                        + " does not exist or is not readable. Create it with the host's key, verified out of band"
                        + " (e.g. ssh-keyscan -p " + target.port() + " " + target.host()
                        + " and compare the fingerprint with the host's console).", null, null);
            }
            try {
                knownHosts = new ReportingKnownHosts(kh);
            } catch (IOException e) {
                throw new HostKeyVerificationException("known_hosts file " + kh + " cannot be read: "
                        + e.getMessage(), null, e);
            }
            delegates.add(knownHosts);
        }
        for (String fp : target.pinnedFingerprints()) {
            try {
                delegates.add(FingerprintVerifier.getInstance(fp));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("pinned host key fingerprint '" + fp + "' is not valid: "
                        + e.getMessage() + " (expected SHA256:<base64> or MD5 hex as shown by ssh-keygen -l)", e);
            }
        }
        return new TrustingVerifier(target, knownHosts, delegates);
    }

    /** {@code SHA256:<base64>} of a public key, as {@code ssh-keygen -lf} prints it. */
    public static String sha256Fingerprint(PublicKey key) {
        try {
            byte[] blob = new Buffer.PlainBuffer().putPublicKey(key).getCompactData();
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(blob);
            return "SHA256:" + Base64.getEncoder().withoutPadding().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private String connectMessage(SshTarget target, IOException e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String why;
        if (root instanceof ConnectException) {
            why = "connection refused: is sshd running and listening on port " + target.port() + "?";
        } else if (root instanceof SocketTimeoutException) {
            why = "no answer within the connect timeout of " + connectTimeout.toSeconds()
                    + "s: check the address, routing and firewalls";
        } else if (root instanceof UnknownHostException) {
            why = "unknown host name: fix the host/address in the configuration or DNS";
        } else if (root instanceof NoRouteToHostException) {
            why = "no route to host: check the address and the network";
        } else {
            why = root.getClass().getSimpleName() + ": " + root.getMessage();
        }
        return "Cannot connect to " + target.display() + " (" + why + ")";
    }

    private static String sentence(String s) {
        if (s == null || s.isBlank()) {
            return "(no detail).";
        }
        String t = s.strip();
        return t.endsWith(".") ? t : t + ".";
    }

    private static void closeQuietly(SSHClient client) {
        try {
            client.close();
        } catch (IOException | RuntimeException ignored) {
            // nothing to do: we are already failing
        }
    }

    /** known_hosts verification that remembers WHY a key was refused (SSHJ only says "could not verify"). */
    static final class ReportingKnownHosts extends OpenSSHKnownHosts {
        private volatile String problem;

        ReportingKnownHosts(Path file) throws IOException {
            super(file.toFile());
        }

        @Override
        protected boolean hostKeyUnverifiableAction(String hostname, PublicKey key) {
            problem = "unknown";
            return false;
        }

        @Override
        protected boolean hostKeyChangedAction(String hostname, PublicKey key) {
            problem = "changed";
            return false;
        }
    }

    /** Accepts a host key when the known_hosts file or a pinned fingerprint vouches for it; records refusals. */
    static final class TrustingVerifier implements HostKeyVerifier {
        private final SshTarget target;
        private final ReportingKnownHosts knownHosts;
        private final List<HostKeyVerifier> delegates;
        volatile String rejection;
        volatile String presented;
        volatile PublicKey accepted;

        TrustingVerifier(SshTarget target, ReportingKnownHosts knownHosts, List<HostKeyVerifier> delegates) {
            this.target = target;
            this.knownHosts = knownHosts;
            this.delegates = delegates;
        }

        @Override
        public boolean verify(String hostname, int port, PublicKey key) {
            for (HostKeyVerifier v : delegates) {
                if (v.verify(hostname, port, key)) {
                    accepted = key;
                    return true;
                }
            }
            presented = sha256Fingerprint(key);
            String what = KeyType.fromKey(key) + " key " + presented;
            StringBuilder msg = new StringBuilder("Host key verification failed for ").append(target.display())
                    .append(": the server presented ").append(what).append(". ");
            if (knownHosts != null && "changed".equals(knownHosts.problem)) {
                msg.append("It DIFFERS from the key recorded in ").append(target.knownHostsFile())
                        .append(" for this host: either the host was reinstalled/re-keyed or someone is"
                                + " intercepting the connection. Verify the new key out of band before replacing"
                                + " the known_hosts entry.");
            } else if (knownHosts != null) {
                msg.append("The host is not in ").append(target.knownHostsFile())
                        .append(" (entry '").append(port == 22 ? hostname : "[" + hostname + "]:" + port)
                        .append("' with this key type). Add its key, verified out of band (ssh-keyscan + compare"
                                + " the fingerprint on the host's console).");
            }
            if (!target.pinnedFingerprints().isEmpty()) {
                msg.append(knownHosts != null ? " " : "").append("It matches none of the pinned fingerprints ")
                        .append(target.pinnedFingerprints()).append('.');
            }
            rejection = msg.toString();
            return false;
        }

        /** Whether the current known_hosts/fingerprints still vouch for a key verified earlier. */
        boolean stillTrusts(SshTarget t, PublicKey key) {
            for (HostKeyVerifier v : delegates) {
                if (v.verify(t.host(), t.port(), key)) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public List<String> findExistingAlgorithms(String hostname, int port) {
            List<String> all = new ArrayList<>();
            for (HostKeyVerifier v : delegates) {
                List<String> a = v.findExistingAlgorithms(hostname, port);
                if (a != null) {
                    all.addAll(a);
                }
            }
            return all;
        }
    }
}
