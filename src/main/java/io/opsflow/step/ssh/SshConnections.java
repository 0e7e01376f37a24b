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
import java.util.List;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

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
 * <p>SSHJ pools nothing: one {@link SshSession} is one TCP connection; run the commands of one step on it
 * consecutively, and use {@link SshFanOut} for many hosts.
 */
@Component
public class SshConnections {
    private static final int KEEPALIVE_SECONDS = 30;

    private final Duration connectTimeout;
    private final Config config;

    @Autowired
    public SshConnections(SshProperties properties) {
        this(properties.connectTimeout());
    }

    public SshConnections(Duration connectTimeout) {
        if (connectTimeout == null || connectTimeout.isNegative() || connectTimeout.isZero()) {
            throw new IllegalArgumentException("ssh connect timeout must be positive: " + connectTimeout);
        }
        this.connectTimeout = connectTimeout;
        DefaultConfig c = new DefaultConfig();
        c.setKeepAliveProvider(KeepAliveProvider.KEEP_ALIVE);
        this.config = c;
    }

    public Duration connectTimeout() {
        return connectTimeout;
    }

    /** Connects, verifies the host key and authenticates. The caller closes the session. */
    public SshSession open(SshTarget target) {
        Path keyFile = keyFile(target);
        char[] passphrase = passphrase(target);
        TrustingVerifier verifier = verifier(target);
        SSHClient client = new SSHClient(config);
        boolean ok = false;
        try {
            client.addHostKeyVerifier(verifier);
            client.setConnectTimeout((int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()));
            try {
                client.connect(target.host(), target.port());
            } catch (IOException e) {
                if (verifier.rejection != null) {
                    throw new HostKeyVerificationException(verifier.rejection, verifier.presented, e);
                }
                throw new SshConnectException(connectMessage(target, e), e);
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
            return new SshSession(target, client);
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

        TrustingVerifier(SshTarget target, ReportingKnownHosts knownHosts, List<HostKeyVerifier> delegates) {
            this.target = target;
            this.knownHosts = knownHosts;
            this.delegates = delegates;
        }

        @Override
        public boolean verify(String hostname, int port, PublicKey key) {
            for (HostKeyVerifier v : delegates) {
                if (v.verify(hostname, port, key)) {
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
