package io.opsflow.step.ssh;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A host that accepts the TCP connection but never speaks SSH (an overloaded or hung sshd) fails the connection
 * after the handshake guard, with a message saying so — before the fix the step blocked for ever in SSHJ's read of
 * the server's identification (found by FaultMatrixIT).
 */
class SshHandshakeTimeoutTest {

    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // without the guard: blocked for ever
    void aHostThatAcceptsButNeverSpeaksSshFailsTheConnectionInsteadOfBlocking(@TempDir Path dir) throws Exception {
        Path key = Files.writeString(dir.resolve("id_ed25519"), "not read before the handshake\n");
        Path knownHosts = Files.writeString(dir.resolve("known_hosts"), "");
        List<Socket> accepted = new ArrayList<>();
        try (ServerSocket silent = new ServerSocket(0)) {
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        accepted.add(silent.accept()); // held open, never a byte written
                    }
                } catch (Exception closed) {
                    // the test is over
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            SshConnections connections = new SshConnections(Duration.ofSeconds(1), Duration.ZERO, 1);
            SshTarget target = new SshTarget("127.0.0.1", silent.getLocalPort(), "nobody", "file:" + key, knownHosts);
            assertThatThrownBy(() -> connections.open(target).close())
                    .isInstanceOf(SshConnectException.class)
                    .hasMessageContaining("Cannot connect to " + target.display())
                    .hasMessageContaining("SSH handshake did not complete within 2s");
        } finally {
            for (Socket s : accepted) {
                s.close();
            }
        }
    }
}
