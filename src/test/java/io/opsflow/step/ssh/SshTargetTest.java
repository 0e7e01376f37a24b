package io.opsflow.step.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

class SshTargetTest {
    private static final Path KH = Path.of("/etc/opsflow/known_hosts");

    @Test
    void validTargetsAndTheirDisplay() {
        SshTarget t = new SshTarget("web-1.example.com", 2222, "deploy", "env:OPSFLOW_SSH_KEY", KH);
        assertThat(t.display()).isEqualTo("deploy@web-1.example.com:2222");
        assertThat(t.passphraseRef()).isNull();
        assertThat(t.pinnedFingerprints()).isEmpty();
        assertThat(new SshTarget("10.0.0.7", 22, "opsflow", "file:/k", " ", null, List.of("SHA256:abc"))
                .passphraseRef()).as("blank passphrase ref means none").isNull();
        assertThat(t.withPassphraseRef("env:PASS").toString()).contains("passphrase env:PASS")
                .contains("key env:OPSFLOW_SSH_KEY");
    }

    @Test
    void badTargetsAreRejectedWithTheFieldNamed() {
        assertThatThrownBy(() -> new SshTarget("host;reboot", 22, "u", "file:/k", KH))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ssh host");
        assertThatThrownBy(() -> new SshTarget("-oProxyCommand=x", 22, "u", "file:/k", KH))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ssh host");
        assertThatThrownBy(() -> new SshTarget("h", 0, "u", "file:/k", KH))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("port");
        assertThatThrownBy(() -> new SshTarget("h", 65536, "u", "file:/k", KH))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("port");
        assertThatThrownBy(() -> new SshTarget("h", 22, "root$(id)", "file:/k", KH))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ssh user");
        assertThatThrownBy(() -> new SshTarget("h", 22, "u", "/plain/path", KH))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("env:NAME or file:/path");
        assertThatThrownBy(() -> new SshTarget("h", 22, "u", "file:/k", "vault:x", KH, List.of()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SshTarget("h", 22, "u", "file:/k", null, KH, List.of("SHA256: x")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("fingerprint");
        assertThatThrownBy(() -> new SshTarget("h", 22, "u", "file:/k", null, null, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("neither a known_hosts file nor pinned host key fingerprints");
    }

    @Test
    void propertiesBuildTargetsAndRequireAKeyRef() {
        SshProperties p = new SshProperties("file:/k", null, KH, null, "opsflow", 22, null, null);
        assertThat(p.target("h", null, null).display()).isEqualTo("opsflow@h:22");
        assertThat(p.target("h", 2200, "deploy").display()).isEqualTo("deploy@h:2200");
        assertThat(p.connectTimeout()).isEqualTo(Duration.ofSeconds(15));
        assertThat(p.commandTimeout()).isEqualTo(Duration.ofMinutes(10));
        SshProperties noKey = new SshProperties(null, null, KH, null, "opsflow", 22, null, null);
        assertThatThrownBy(() -> noKey.target("h", null, null)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("opsflow.ssh.key-ref is not configured");
    }

    @Test
    void workerOutputLastLine() {
        assertThat(WorkerScripts.lastNonEmptyLine("a\n{\"ok\":true}\n\n  \n")).isEqualTo("{\"ok\":true}");
        assertThat(WorkerScripts.lastNonEmptyLine("\n \n")).isNull();
        assertThat(new SshResult(0, "l1\nl2\nl3\n", "").stdoutTail(5)).isEqualTo("l3\n");
    }
}
