package io.opsflow.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/** The test-support sshd really is an OpenSSH server that the stock ssh client can log in to with strict host keys. */
class OpenSshdIT {

    @Test
    void stockSshClientLogsInWithStrictHostKeyCheckingAndServerStopsOnClose() throws Exception {
        int port;
        try (OpenSshd sshd = OpenSshd.start()) {
            port = sshd.port();
            assertThat(Files.readString(sshd.knownHostsFile()))
                    .isEqualTo("[127.0.0.1]:" + port + " " + sshd.hostKeyPublicLine() + "\n");
            assertThat(sshd.hostKeyPublicLine()).startsWith("ssh-ed25519 AAAA");

            Path ssh = RealComponent.require("ssh", "apt-get install openssh-client");
            Process p = new ProcessBuilder(ssh.toString(), "-p", String.valueOf(port), "-i",
                    sshd.clientPrivateKey().toString(), "-o", "UserKnownHostsFile=" + sshd.knownHostsFile(),
                    "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
                    sshd.user() + "@127.0.0.1", "echo", "hello-from-$(whoami)").redirectErrorStream(true).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(out + "\n" + sshd.log()).isZero();
            assertThat(out.trim()).isEqualTo("hello-from-" + sshd.user());
        }
        assertThatThrownBy(() -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            }
        }).isInstanceOf(IOException.class);
    }

    @Test
    void secondKeyPairIsRefusedUntilAuthorized() throws Exception {
        try (OpenSshd sshd = OpenSshd.start()) {
            Path other = sshd.directory().resolve("other_key");
            OpenSshd.generateKeyPair(other, "", "other");
            List<String> argv = List.of("ssh", "-p", String.valueOf(sshd.port()), "-i", other.toString(),
                    "-o", "UserKnownHostsFile=" + sshd.knownHostsFile(), "-o", "StrictHostKeyChecking=yes",
                    "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", sshd.user() + "@127.0.0.1", "true");
            assertThat(exit(argv)).isEqualTo(255);
            sshd.authorize(other.resolveSibling("other_key.pub"));
            assertThat(exit(argv)).as(sshd.log()).isZero();
        }
    }

    private static int exit(List<String> argv) throws Exception {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        p.getOutputStream().close();
        p.getInputStream().readAllBytes();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return p.exitValue();
    }
}
