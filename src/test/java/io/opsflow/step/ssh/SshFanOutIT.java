package io.opsflow.step.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
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
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyPairResourceWriter;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.session.SessionListener;
import org.apache.sshd.server.Environment;
import org.apache.sshd.server.ExitCallback;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.command.Command;
import org.apache.sshd.server.keyprovider.SimpleGeneratorHostKeyProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.opsflow.step.exec.CommandFailedException;
import io.opsflow.step.exec.StepLogs;

/**
 * Fan-out over a fleet of in-process Apache MINA SSH servers: the parallelism limit holds, every host gets one
 * connection for all its commands, every outcome is collected, one failing host hides nothing.
 */
class SshFanOutIT {
    private static final Duration T = Duration.ofSeconds(30);
    private static final int HOSTS = 12;

    @TempDir
    Path tmp;
    private final List<FakeHost> fleet = new ArrayList<>();
    private final AtomicInteger activeCommands = new AtomicInteger();
    private final AtomicInteger maxActiveCommands = new AtomicInteger();
    private Path clientKey;
    private PublicKey clientPublic;
    private final SshFanOut fanOut = new SshFanOut(new SshConnections(Duration.ofSeconds(10)));

    @BeforeEach
    void startFleet() throws Exception {
        KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
        gen.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair client = gen.generateKeyPair();
        clientPublic = client.getPublic();
        clientKey = tmp.resolve("fleet_key");
        try (OutputStream out = Files.newOutputStream(clientKey)) {
            OpenSSHKeyPairResourceWriter.INSTANCE.writePrivateKey(client, "fleet", null, out);
        }
        for (int i = 0; i < HOSTS; i++) {
            fleet.add(new FakeHost("host-" + i, i == 5));
        }
    }

    @AfterEach
    void stopFleet() throws IOException {
        for (FakeHost h : fleet) {
            h.server.stop(true);
        }
    }

    private SshTarget target(FakeHost h) {
        return new SshTarget("127.0.0.1", h.server.getPort(), "fleet", "file:" + clientKey, null, null,
                List.of(h.fingerprint));
    }

    @Test
    void neverMoreThanTheParallelismLimitAndOneConnectionPerHost() {
        List<SshTarget> targets = new ArrayList<>();
        for (FakeHost h : fleet) {
            if (!h.failsWork) {
                targets.add(target(h));
            }
        }
        Set<String> threads = ConcurrentHashMap.newKeySet();
        var log = StepLogs.memory();
        FanOutResult<String> result = fanOut.forEach(targets, 4, session -> {
            threads.add(Thread.currentThread().getName());
            for (int i = 0; i < 3; i++) {
                session.execChecked(List.of("work", "120"), T, log);
            }
            return session.execChecked(List.of("hostname"), T, log).stdout().trim();
        });

        assertThat(result.allSucceeded()).as(result.failureSummary()).isTrue();
        assertThat(result.outcomes()).hasSize(HOSTS - 1);
        List<String> expectedNames = fleet.stream().filter(h -> !h.failsWork).map(h -> h.name).toList();
        assertThat(result.outcomes().stream().map(FanOutResult.HostOutcome::value).toList())
                .as("results in the order of the targets").containsExactlyElementsOf(expectedNames);
        assertThat(maxActiveCommands.get()).as("concurrent commands across the fleet").isBetween(2, 4);
        assertThat(threads).hasSizeLessThanOrEqualTo(4).allMatch(n -> n.startsWith("ssh-fanout-"));
        for (FakeHost h : fleet) {
            if (!h.failsWork) {
                assertThat(h.sessions.get()).as(h.name + " connections").isEqualTo(1);
                assertThat(h.commands.get()).as(h.name + " commands on that connection").isEqualTo(4);
            }
        }
        assertThat(log.lines().stream().filter(l -> l.startsWith("[out]") && l.endsWith(": done")).count())
                .isEqualTo(3L * (HOSTS - 1));
    }

    @Test
    void everyFailureIsCollectedPerHostAndHidesNoOtherResult() throws IOException {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        List<SshTarget> targets = new ArrayList<>();
        for (FakeHost h : fleet) {
            targets.add(target(h)); // host-5 fails its "work" command
        }
        SshTarget unreachable = new SshTarget("127.0.0.1", closedPort, "fleet", "file:" + clientKey, null, null,
                List.of(fleet.get(0).fingerprint));
        targets.add(2, unreachable);
        SshTarget impostor = target(fleet.get(7)).withPinnedFingerprints(List.of(fleet.get(8).fingerprint));
        targets.set(targets.indexOf(target(fleet.get(7))), impostor);

        FanOutResult<String> result = fanOut.forEach(targets, 3, session -> {
            session.execChecked(List.of("work", "50"), T, StepLogs.noop());
            return session.execChecked(List.of("hostname"), T, StepLogs.noop()).stdout().trim();
        });

        assertThat(result.allSucceeded()).isFalse();
        assertThat(result.outcomes()).hasSize(HOSTS + 1);
        assertThat(result.successes()).hasSize(HOSTS - 2);
        assertThat(result.failures()).extracting(o -> o.target().display()).containsExactly(
                unreachable.display(), target(fleet.get(5)).display(), impostor.display());
        assertThat(result.failures().get(0).error()).isInstanceOf(SshConnectException.class)
                .hasMessageContaining("connection refused");
        assertThat(result.failures().get(1).error()).isInstanceOf(CommandFailedException.class)
                .hasMessageContaining("exited with 7").hasMessageContaining("boom on host-5");
        assertThat(result.failures().get(2).error()).isInstanceOf(HostKeyVerificationException.class);
        assertThat(result.values()).hasSize(HOSTS - 2).containsEntry(target(fleet.get(11)).display(), "host-11");
        assertThat(result.failureSummary().lines()).hasSize(3);
        assertThat(fleet.get(7).commands.get()).as("nothing ran on the host with the wrong key").isZero();
    }

    @Test
    void badInputIsRejectedBeforeAnyConnection() {
        SshTarget t = target(fleet.get(0));
        assertThatThrownBy(() -> fanOut.forEach(List.of(t), 0, s -> "x"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("parallelism");
        assertThatThrownBy(() -> fanOut.forEach(List.of(t, t), 2, s -> "x"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("duplicate ssh target");
        assertThat(fanOut.forEach(List.of(), 2, s -> "x").outcomes()).isEmpty();
        assertThat(fleet.get(0).sessions.get()).isZero();
    }

    /** One in-process SSH server with a tiny command set: work MILLIS | hostname | fail. */
    final class FakeHost {
        final String name;
        final boolean failsWork;
        final SshServer server;
        final String fingerprint;
        final AtomicInteger sessions = new AtomicInteger();
        final AtomicInteger commands = new AtomicInteger();

        FakeHost(String name, boolean failsWork) throws Exception {
            this.name = name;
            this.failsWork = failsWork;
            server = SshServer.setUpDefaultServer();
            server.setHost("127.0.0.1");
            server.setPort(0);
            server.setKeyPairProvider(new SimpleGeneratorHostKeyProvider());
            server.setPublickeyAuthenticator((user, key, s) -> "fleet".equals(user)
                    && KeyUtils.compareKeys(key, clientPublic));
            server.setCommandFactory((channel, command) -> new FakeCommand(this, command));
            server.addSessionListener(new SessionListener() {
                @Override
                public void sessionCreated(Session session) {
                    sessions.incrementAndGet();
                }
            });
            server.start();
            KeyPair hostKey = server.getKeyPairProvider().loadKeys(null).iterator().next();
            fingerprint = KeyUtils.getFingerPrint(hostKey.getPublic());
        }
    }

    final class FakeCommand implements Command {
        private final FakeHost host;
        private final String command;
        private OutputStream out;
        private OutputStream err;
        private ExitCallback exit;
        private Thread thread;

        FakeCommand(FakeHost host, String command) {
            this.host = host;
            this.command = command;
        }

        @Override
        public void start(ChannelSession channel, Environment env) {
            thread = new Thread(this::run, "fake-" + host.name);
            thread.start();
        }

        private void run() {
            host.commands.incrementAndGet();
            // opsflow prefixes every command with the pgid report (SshSession.PGID_PREFIX): a real shell runs it
            String c = command.startsWith(SshSession.PGID_PREFIX) ? command.substring(SshSession.PGID_PREFIX.length())
                    : command;
            String[] words = c.split(" ");
            int status = 0;
            try {
                switch (words[0]) {
                    case "work" -> {
                        int now = activeCommands.incrementAndGet();
                        maxActiveCommands.accumulateAndGet(now, Math::max);
                        try {
                            Thread.sleep(Long.parseLong(words[1]));
                        } finally {
                            activeCommands.decrementAndGet();
                        }
                        if (host.failsWork) {
                            err.write(("boom on " + host.name + "\n").getBytes(StandardCharsets.UTF_8));
                            status = 7;
                        } else {
                            out.write("done\n".getBytes(StandardCharsets.UTF_8));
                        }
                    }
                    case "hostname" -> out.write((host.name + "\n").getBytes(StandardCharsets.UTF_8));
                    default -> {
                        err.write(("unknown command: " + c + "\n").getBytes(StandardCharsets.UTF_8));
                        status = 127;
                    }
                }
                out.flush();
                err.flush();
            } catch (IOException | InterruptedException e) {
                status = 255;
            }
            exit.onExit(status);
        }

        @Override
        public void destroy(ChannelSession channel) {
            if (thread != null) {
                thread.interrupt();
            }
        }

        @Override
        public void setInputStream(java.io.InputStream in) {
        }

        @Override
        public void setOutputStream(OutputStream out) {
            this.out = out;
        }

        @Override
        public void setErrorStream(OutputStream err) {
            this.err = err;
        }

        @Override
        public void setExitCallback(ExitCallback callback) {
            this.exit = callback;
        }
    }
}
