package io.opsflow.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.opsflow.platform.tools.Tool;
import io.opsflow.platform.tools.Tools;
import io.opsflow.sandbox.SandboxPrerequisites.InstallMode;
import io.opsflow.sandbox.SandboxPrerequisites.Prerequisite;
import io.opsflow.step.exec.CommandRunner;

/**
 * A fresh machine: the sandbox installs what it needs as root with apt-get, or stops before starting with the exact
 * install line. apt-get here is a real executable double on a private PATH that records its arguments and "installs"
 * a package by creating the binaries the package provides; nothing on the real machine is touched.
 */
class SandboxPrerequisitesTest {
    @TempDir
    Path dir;
    Path bin;
    Path hostBin;
    Path calls;

    static final List<Prerequisite> NEEDS = List.of(
            Prerequisite.host("python3", "python3", "the workers' load balancer calls", true),
            Prerequisite.local(Tool.ANSIBLE_PLAYBOOK, "ansible-core", "deploy-application", true),
            Prerequisite.local(Tool.CERTBOT, "certbot", "renew-certificates", false));

    @BeforeEach
    void setUp() throws IOException {
        bin = Files.createDirectories(dir.resolve("bin"));
        hostBin = Files.createDirectories(dir.resolve("host-bin"));
        calls = dir.resolve("apt-calls.txt");
    }

    @Test
    void nothingMissingRunsNothing() throws IOException {
        executable(hostBin.resolve("python3"), "#!/bin/sh\n");
        executable(bin.resolve("ansible-playbook"), "#!/bin/sh\n");
        executable(bin.resolve("certbot"), "#!/bin/sh\n");
        aptGet(0);

        prerequisites(InstallMode.AUTO, true).ensure();

        assertThat(calls).doesNotExist();
    }

    @Test
    void asRootWithAptGetEverythingMissingIsInstalledInOneCall() throws IOException {
        aptGet(0);
        SandboxPrerequisites p = prerequisites(InstallMode.AUTO, true);
        assertThat(p.missing()).extracting(x -> x.tool().name()).containsExactly("python3", "ansible-playbook", "certbot");

        p.ensure();

        assertThat(Files.readAllLines(calls)).containsExactly(
                "update -q",
                "install -y -q --no-install-recommends python3 ansible-core certbot DEBIAN_FRONTEND=noninteractive");
        assertThat(p.missing()).isEmpty();
    }

    @Test
    void notRootARequiredToolMissingStopsTheStartWithTheExactInstallLineAndInstallsNothing() throws IOException {
        aptGet(0);
        executable(hostBin.resolve("python3"), "#!/bin/sh\n");

        assertThatThrownBy(() -> prerequisites(InstallMode.AUTO, false).ensure())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("ansible-playbook (deploy-application) not installed")
                .hasMessageContaining("sudo apt-get install -y ansible-core certbot")
                .hasMessageContaining("only when it runs as root");
        assertThat(calls).doesNotExist();
    }

    @Test
    void onlyOptionalToolsMissingWithoutRootStartsAndWarns() throws IOException {
        executable(hostBin.resolve("python3"), "#!/bin/sh\n");
        executable(bin.resolve("ansible-playbook"), "#!/bin/sh\n");

        SandboxPrerequisites p = prerequisites(InstallMode.AUTO, false);
        p.ensure(); // certbot missing: renew-certificates will be refused with 409, the sandbox still starts

        assertThat(p.missing()).extracting(x -> x.tool().name()).containsExactly("certbot");
    }

    @Test
    void installModeNeverInstallsNothingEvenAsRoot() throws IOException {
        aptGet(0);

        assertThatThrownBy(() -> prerequisites(InstallMode.NEVER, true).ensure())
                .hasMessageContaining("apt-get install -y python3 ansible-core certbot")
                .hasMessageContaining("install-tools=never");
        assertThat(calls).doesNotExist();
    }

    @Test
    void aFailingAptGetIsReportedWithItsOutputAndTheLineToRunByHand() throws IOException {
        aptGet(100);

        assertThatThrownBy(() -> prerequisites(InstallMode.AUTO, true).ensure())
                .hasMessageContaining("apt-get install -y python3 ansible-core certbot")
                .hasMessageContaining("exited 100")
                .hasMessageContaining("E: Unable to locate package");
    }

    private SandboxPrerequisites prerequisites(InstallMode mode, boolean root) {
        CommandRunner runner = new CommandRunner(Set.of("PATH"), Map.of("PATH", bin.toString()));
        return new SandboxPrerequisites(NEEDS, new Tools(bin.toString()), new Tools(hostBin.toString()), runner, mode,
                () -> root);
    }

    /** apt-get double: records "args DEBIAN_FRONTEND=…"; install creates the binaries of the packages it knows. */
    private void aptGet(int installExit) throws IOException {
        executable(bin.resolve("apt-get"), """
                #!/bin/sh
                PATH=/usr/bin:/bin
                echo "$* DEBIAN_FRONTEND=$DEBIAN_FRONTEND" | sed 's/ DEBIAN_FRONTEND=$//; s/^update -q DEBIAN.*/update -q/' >> '%s'
                [ "$1" = install ] || exit 0
                if [ %d -ne 0 ]; then echo "E: Unable to locate package pebble" >&2; exit %d; fi
                for p in "$@"; do
                  case "$p" in
                    python3) printf '#!/bin/sh\\n' > '%s/python3'; chmod +x '%s/python3' ;;
                    ansible-core) printf '#!/bin/sh\\n' > '%s/ansible-playbook'; chmod +x '%s/ansible-playbook' ;;
                    certbot) printf '#!/bin/sh\\n' > '%s/certbot'; chmod +x '%s/certbot' ;;
                  esac
                done
                """.formatted(calls, installExit, installExit, hostBin, hostBin, bin, bin, bin, bin));
    }

    private static void executable(Path file, String text) throws IOException {
        Files.writeString(file, text);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
}
