package io.opsflow.step.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyPairResourceWriter;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.session.SessionListener;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.command.AbstractCommandSupport;
import org.apache.sshd.server.keyprovider.SimpleGeneratorHostKeyProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.opsflow.step.exec.StepLogs;

/**
 * The connection pool of {@link SshConnections} against in-process Apache MINA SSH servers that count the
 * connections they accept: a second step reuses the first one's connection, sessions share a connection up to the
 * bound and then get another, idle connections are closed, a broken connection is replaced, and a connection is never
 * reused once the host key it verified is no longer trusted (the new connection is verified and refused).
 */
class SshConnectionPoolIT {
    private static final Duration T = Duration.ofSeconds(20);

    @TempDir
    Path tmp;
    private Path clientKey;
    private PublicKey clientPublic;
    private final List<SshServer> servers = new ArrayList<>();
    private final AtomicInteger connections = new AtomicInteger();
    private SshConnections pool;

    @BeforeEach
    void clientKey() throws Exception {
        KeyPair client = ec();
        clientPublic = client.getPublic();
        clientKey = tmp.resolve("client_key");
        try (OutputStream out = Files.newOutputStream(clientKey)) {
            OpenSSHKeyPairResourceWriter.INSTANCE.writePrivateKey(client, "pool", null, out);
        }
    }

    @AfterEach
    void stop() throws IOException {
        if (pool != null) {
            pool.close();
        }
        for (SshServer s : servers) {
            s.stop(true);
        }
    }

    @Test
    void aSecondSessionReusesTheAuthenticatedConnection() throws Exception {
        SshServer host = server(0, tmp.resolve("host_a"));
        SshTarget target = target(host, knownHosts(host));
        pool = new SshConnections(Duration.ofSeconds(10), Duration.ofMinutes(1), 3);
        SshStep step = new SshStep(pool);

        assertThat(step.run(target, List.of("hostname"), T, StepLogs.noop()).stdout()).isEqualTo("ok\n");
        assertThat(step.run(target, List.of("hostname"), T, StepLogs.noop()).stdout()).isEqualTo("ok\n");
        try (SshSession s = pool.open(target)) {
            assertThat(s.reused()).isTrue();
            assertThat(s.exec(List.of("hostname"), T, StepLogs.noop()).exitCode()).isZero();
        }

        assertThat(connections.get()).as("connections the host accepted").isEqualTo(1);
        assertThat(pool.pooledConnections(target)).isEqualTo(1);
    }

    @Test
    void sessionsShareAConnectionUpToTheBoundThenGetAnother() throws Exception {
        SshServer host = server(0, tmp.resolve("host_a"));
        SshTarget target = target(host, knownHosts(host));
        pool = new SshConnections(Duration.ofSeconds(10), Duration.ofMinutes(1), 2);

        SshSession a = pool.open(target);
        SshSession b = pool.open(target);
        SshSession c = pool.open(target);
        for (SshSession s : List.of(a, b, c)) {
            assertThat(s.exec(List.of("hostname"), T, StepLogs.noop()).exitCode()).isZero();
        }
        assertThat(connections.get()).as("3 sessions, at most 2 per connection").isEqualTo(2);
        a.close();
        b.close();
        c.close();
        c.close(); // closing twice gives nothing back twice
        try (SshSession d = pool.open(target); SshSession e = pool.open(target); SshSession f = pool.open(target);
             SshSession g = pool.open(target)) {
            assertThat(List.of(d, e, f, g)).allMatch(SshSession::reused);
        }
        assertThat(connections.get()).isEqualTo(2);
    }

    @Test
    void idleConnectionsAreClosedAndTheNextSessionConnectsAgain() throws Exception {
        SshServer host = server(0, tmp.resolve("host_a"));
        SshTarget target = target(host, knownHosts(host));
        pool = new SshConnections(Duration.ofSeconds(10), Duration.ofMillis(300), 3);
        try (SshSession s = pool.open(target)) {
            s.exec(List.of("hostname"), T, StepLogs.noop());
        }
        assertThat(pool.pooledConnections(target)).isEqualTo(1);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (pool.pooledConnections(target) > 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(pool.pooledConnections(target)).as("evicted after the idle timeout").isZero();
        while (!host.getActiveSessions().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20); // the host learns of the close asynchronously
        }
        assertThat(host.getActiveSessions()).as("and closed on the host too").isEmpty();
        try (SshSession s = pool.open(target)) {
            assertThat(s.reused()).isFalse();
            s.exec(List.of("hostname"), T, StepLogs.noop());
        }
        assertThat(connections.get()).isEqualTo(2);
    }

    @Test
    void aBrokenConnectionIsReplacedAndTheStepStillRuns() throws Exception {
        Path hostKey = tmp.resolve("host_a");
        SshServer host = server(0, hostKey);
        int port = host.getPort();
        SshTarget target = target(host, knownHosts(host));
        pool = new SshConnections(Duration.ofSeconds(10), Duration.ofMinutes(1), 3);
        SshStep step = new SshStep(pool);
        step.run(target, List.of("hostname"), T, StepLogs.noop());

        // the host restarts (same key, same port): the pooled connection is dead
        host.stop(true);
        servers.remove(host);
        server(port, hostKey);

        var log = StepLogs.memory();
        assertThat(step.run(target, List.of("hostname"), T, log).stdout()).isEqualTo("ok\n");
        assertThat(connections.get()).isEqualTo(2);
        assertThat(pool.pooledConnections(target)).isEqualTo(1);
    }

    @Test
    void aConnectionIsNeverReusedOnceItsHostKeyIsNoLongerTrusted() throws Exception {
        SshServer host = server(0, tmp.resolve("host_a"));
        Path knownHosts = knownHosts(host);
        SshTarget target = target(host, knownHosts);
        pool = new SshConnections(Duration.ofSeconds(10), Duration.ofMinutes(1), 3);
        try (SshSession s = pool.open(target)) {
            s.exec(List.of("hostname"), T, StepLogs.noop());
        }
        String trusted = Files.readString(knownHosts);

        // known_hosts now names another key for this host (it was re-keyed, or the entry was corrected)
        PublicKey other = ec().getPublic();
        Files.writeString(knownHosts, "[127.0.0.1]:" + host.getPort() + " " + PublicKeyEntry.toString(other) + "\n");
        assertThatThrownBy(() -> pool.open(target)).isInstanceOf(HostKeyVerificationException.class)
                .hasMessageContaining("DIFFERS");
        assertThat(connections.get()).as("a new connection was made and refused, the pooled one not used")
                .isEqualTo(2);
        assertThat(pool.pooledConnections(target)).isZero();

        // trusted again: a new, verified connection
        Files.writeString(knownHosts, trusted);
        try (SshSession s = pool.open(target)) {
            assertThat(s.reused()).isFalse();
            assertThat(s.exec(List.of("hostname"), T, StepLogs.noop()).exitCode()).isZero();
        }
        assertThat(connections.get()).isEqualTo(3);
    }

    @Test
    void aHostThatComesBackWithAnotherKeyIsRefused() throws Exception {
        SshServer host = server(0, tmp.resolve("host_a"));
        int port = host.getPort();
        SshTarget target = target(host, knownHosts(host));
        pool = new SshConnections(Duration.ofSeconds(10), Duration.ofMinutes(1), 3);
        new SshStep(pool).run(target, List.of("hostname"), T, StepLogs.noop());

        host.stop(true);
        servers.remove(host);
        server(port, tmp.resolve("host_b")); // same address, new key
        assertThatThrownBy(() -> new SshStep(pool).run(target, List.of("hostname"), T, StepLogs.noop()))
                .isInstanceOf(HostKeyVerificationException.class);
        assertThat(pool.pooledConnections(target)).isZero();
    }

    @Test
    void badPoolSettingsAreRejected() {
        assertThatThrownBy(() -> new SshConnections(Duration.ofSeconds(1), Duration.ofSeconds(-1), 3))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("idle timeout");
        assertThatThrownBy(() -> new SshConnections(Duration.ofSeconds(1), Duration.ofSeconds(1), 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("max-sessions-per-connection");
        assertThatThrownBy(() -> new SshConnections(Duration.ofSeconds(1), Duration.ofSeconds(1), 10))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("MaxSessions");
    }

    private SshTarget target(SshServer host, Path knownHosts) {
        return new SshTarget("127.0.0.1", host.getPort(), "pool", "file:" + clientKey, null, knownHosts, List.of());
    }

    private Path knownHosts(SshServer host) throws Exception {
        KeyPair hostKey = host.getKeyPairProvider().loadKeys(null).iterator().next();
        Path kh = tmp.resolve("known_hosts");
        Files.writeString(kh, "[127.0.0.1]:" + host.getPort() + " " + PublicKeyEntry.toString(hostKey.getPublic())
                + "\n");
        return kh;
    }

    private static KeyPair ec() throws Exception {
        KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
        gen.initialize(new ECGenParameterSpec("secp256r1"));
        return gen.generateKeyPair();
    }

    /** A server on {@code port} (0: any) whose host key lives in {@code hostKeyFile}; every command prints "ok". */
    private SshServer server(int port, Path hostKeyFile) throws IOException {
        SshServer s = SshServer.setUpDefaultServer();
        s.setHost("127.0.0.1");
        s.setPort(port);
        SimpleGeneratorHostKeyProvider keys = new SimpleGeneratorHostKeyProvider(hostKeyFile);
        keys.setAlgorithm("EC");
        keys.setKeySize(256);
        s.setKeyPairProvider(keys);
        s.setPublickeyAuthenticator((user, key, session) -> "pool".equals(user)
                && KeyUtils.compareKeys(key, clientPublic));
        s.setCommandFactory((channel, command) -> new Ok(command));
        s.addSessionListener(new SessionListener() {
            @Override
            public void sessionCreated(Session session) {
                connections.incrementAndGet();
            }
        });
        s.start();
        servers.add(s);
        return s;
    }

    /** Prints "ok" and exits 0. */
    static final class Ok extends AbstractCommandSupport {
        Ok(String command) {
            super(command, null);
        }

        @Override
        public void run() {
            try {
                getOutputStream().write("ok\n".getBytes(StandardCharsets.UTF_8));
                getOutputStream().flush();
                onExit(0);
            } catch (IOException e) {
                onExit(255, e.toString());
            }
        }
    }
}
