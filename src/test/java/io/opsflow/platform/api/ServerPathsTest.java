package io.opsflow.platform.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * What the API says about a file it cannot show: which file, not where it lies. {@link ServerPaths#redact} takes the
 * directories out of free text (exception messages, failure reasons) and leaves everything that only looks a bit like
 * a path alone.
 */
class ServerPathsTest {

    @Test
    void absolutePathsAndFileUrisKeepOnlyTheirLastName() {
        assertThat(ServerPaths.redact("SSH private key file /srv/opsflow/var/sandbox/keys/id_ed25519 (keyRef "
                + "file:/srv/opsflow/var/sandbox/keys/id_ed25519) does not exist"))
                .isEqualTo("SSH private key file …/id_ed25519 (keyRef …/id_ed25519) does not exist");
        assertThat(ServerPaths.redact("offsite copy file:///mnt/backups/staging/appdb/b1.pgdump does not exist"))
                .isEqualTo("offsite copy …/b1.pgdump does not exist");
        assertThat(ServerPaths.redact("known_hosts file '/home/ops/.ssh/known_hosts' cannot be read"))
                .isEqualTo("known_hosts file '…/known_hosts' cannot be read");
        assertThat(ServerPaths.redact("checksum mismatch of web-1:/tmp/opsflow-restore/b1.tar.gz: catalog has x"))
                .isEqualTo("checksum mismatch of web-1:…/b1.tar.gz: catalog has x");
        assertThat(ServerPaths.redact("--root=/opt/apps/ failed")).isEqualTo("--root=…/apps failed");
        assertThat(ServerPaths.redact("/var/lib/opsflow")).isEqualTo("…/opsflow");
        assertThat(ServerPaths.containsPath("Terraform root /srv/tf/staging is not a directory")).isTrue();
        // what is redacted stays as it is
        assertThat(ServerPaths.redact("offsite copy …/b1.pgdump does not exist"))
                .isEqualTo("offsite copy …/b1.pgdump does not exist");
        assertThat(ServerPaths.containsPath("…/id_ed25519")).isFalse();
    }

    @Test
    void textThatOnlyLooksLikeAPathIsLeftAlone() {
        for (String text : new String[] {
                "cannot read the load balancer's pools at http://127.0.0.1:9001: HTTP 500",
                "s3://bucket/staging/appdb/b1.pgdump",
                "Lock 'release:staging/webapp' is held by run 42",
                "backupId: there is no backup of staging/appdb",
                "host key SHA256:ab/cd+/ef is not trusted; SHA256:/xyz either",
                "postgres://db.internal:5432/app",
                "1/3 hosts done, and/or a / b",
                "Add the key's public half to ~deploy/.ssh/authorized_keys",
                "workers/inventory.sh failed (exit 2): invalid --root relative/../x",
                "no slash at all"}) {
            assertThat(ServerPaths.redact(text)).as(text).isEqualTo(text);
            assertThat(ServerPaths.containsPath(text)).as(text).isFalse();
        }
        assertThat(ServerPaths.redact(null)).isNull();
    }
}
