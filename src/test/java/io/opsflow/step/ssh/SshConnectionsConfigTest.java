package io.opsflow.step.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import net.schmizz.sshj.Config;

/**
 * SSHJ's configuration (BouncyCastle registration, a probe of every cipher) is built on the first connection, not
 * when the application creates its beans; once, however many steps connect at the same moment.
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

    @Test
    void stepsConnectingAtTheSameMomentShareOneConfiguration() throws Exception {
        SshConnections connections = new SshConnections(Duration.ofSeconds(2));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Config>> got = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                got.add(pool.submit(() -> {
                    go.await();
                    return connections.config();
                }));
            }
            go.countDown();
            Config first = got.get(0).get();
            for (Future<Config> f : got) {
                assertThat(f.get()).isSameAs(first);
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
