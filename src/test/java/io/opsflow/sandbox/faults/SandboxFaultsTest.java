package io.opsflow.sandbox.faults;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** What a fault's {@code command} pattern is matched against. */
class SandboxFaultsTest {
    private static final String SHA = "0123456789abcdef".repeat(4);

    @Test
    void aWorkerIsNamedByItsScriptNotByTheContentAddressOfItsCopy() {
        assertThat(SandboxFaults.program("'.opsflow/workers/release-activate.sh-" + SHA + "'"))
                .isEqualTo("release-activate.sh");
        assertThat(SandboxFaults.program("/home/u/.opsflow/workers/lb-ctl.sh-" + SHA)).isEqualTo("lb-ctl.sh");
        // a copy at the old, unversioned path, and plain programs, as before
        assertThat(SandboxFaults.program(".opsflow/workers/service.sh")).isEqualTo("service.sh");
        assertThat(SandboxFaults.program("sha256sum")).isEqualTo("sha256sum");
    }

    @Test
    void onlyAFullDigestIsTakenForAContentAddress() {
        assertThat(SandboxFaults.program("tool-" + SHA.substring(1))).isEqualTo("tool-" + SHA.substring(1));
        assertThat(SandboxFaults.program("tool-" + SHA.toUpperCase())).isEqualTo("tool-" + SHA.toUpperCase());
        assertThat(SandboxFaults.program("tool-" + SHA + ".upload-0a1b")).isEqualTo("tool-" + SHA + ".upload-0a1b");
    }
}
