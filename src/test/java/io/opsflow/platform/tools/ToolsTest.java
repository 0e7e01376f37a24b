package io.opsflow.platform.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tools are found on PATH (or by absolute path) only when executable; a missing one names its install line. */
class ToolsTest {
    @TempDir
    Path dir;

    @Test
    void findsExecutablesOnPathAndRefusesWhatIsMissing() throws Exception {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path tool = bin.resolve("fake-tool");
        Files.writeString(tool, "#!/bin/sh\necho 'fake-tool 1.2.3'\necho second line\n");
        Files.setPosixFilePermissions(tool, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path notExecutable = bin.resolve("lazy-tool");
        Files.writeString(notExecutable, "#!/bin/sh\n");
        Tools tools = new Tools("/nonexistent:" + bin);

        assertThat(tools.locate(Tool.of("fake-tool", "apt-get install -y fake"))).contains(tool);
        assertThat(tools.locate(new Tool("by-path", List.of(tool.toString()), "x"))).contains(tool);
        assertThat(tools.locate(Tool.of("lazy-tool", "x"))).as("not executable").isEmpty();
        assertThat(tools.version(tool)).isEqualTo("fake-tool 1.2.3");

        tools.require("some-runbook", List.of(Tool.of("fake-tool", "x")));
        assertThatThrownBy(() -> tools.require("some-runbook", List.of(Tool.of("fake-tool", "x"),
                Tool.of("missing-tool", "apt-get install -y missing"))))
                .isInstanceOfSatisfying(ToolMissingException.class, e -> {
                    assertThat(e.tool()).isEqualTo("missing-tool");
                    assertThat(e.install()).isEqualTo("apt-get install -y missing");
                })
                .hasMessageContaining("some-runbook").hasMessageContaining("apt-get install -y missing");
    }
}
