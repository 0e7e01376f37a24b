package io.opsflow.step.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;


/**
 * SSHJ's configuration (BouncyCastle registration, a probe of every cipher) is built on the first connection, not
 * when the application creates its beans (once, however many connect at the same moment: {@code LazyTest}).
 */
class SshConnectionsConfigTest {

    @Test
    void theConfigurationIsBuiltOnTheFirstConnectionNotWithTheBean(@TempDir Path dir) throws Exception {
        SshConnections connections = new SshConnections(Duration.ofSeconds(2), Duration.ZERO, 1);
        assertThat(connections.configured()).as("built with the bean").isFalse();

        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        Path key = Files.writeString(dir.resolve("id_ed25519"), "not read: nothing listens\n");
        Path knownHosts = Files.writeString(dir.resolve("known_hosts"), "");
        SshTarget target = new SshTarget("127.0.0.1", closedPort, "nobody", "file:" + key, knownHosts);
        // a connection that cannot be made still fails as before, typed and naming the target
        assertThatThrownBy(() -> connections.open(target).close())
                .isInstanceOf(SshConnectException.class)
                .hasMessageContaining("Cannot connect to " + target.display());
        assertThat(connections.configured()).isTrue();
    }
}
