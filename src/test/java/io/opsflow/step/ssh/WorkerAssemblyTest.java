package io.opsflow.step.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How a workers/ script and the workers/lib/ files it includes become the one file a host runs. */
class WorkerAssemblyTest {
    @TempDir
    Path dir;
    @TempDir
    Path out;
    WorkerAssembly assembly;

    @BeforeEach
    void setUp() throws Exception {
        Files.createDirectories(dir.resolve("lib"));
        lib("a.sh", "# >>> lib/a.sh: a\na() { :; }\n# <<< lib/a.sh\n");
        lib("b-2.sh", "b() { printf 'ü\\n'; }\n");
        assembly = new WorkerAssembly(dir);
    }

    @Test
    void eachIncludeLineIsReplacedByTheLibFileByteForByte() throws Exception {
        script("x.sh", "#!/usr/bin/env bash\nset -eu\n\n# @include lib/a.sh\n\n# @include lib/b-2.sh\nb\n");
        assertThat(text(assembly.assemble("x.sh"))).isEqualTo("#!/usr/bin/env bash\nset -eu\n\n"
                + "# >>> lib/a.sh: a\na() { :; }\n# <<< lib/a.sh\n\nb() { printf 'ü\\n'; }\nb\n");
        assertThat(assembly.includes("x.sh")).containsExactly("a.sh", "b-2.sh");
    }

    @Test
    void aScriptWithoutIncludesIsItself() throws Exception {
        byte[] raw = {'#', '!', ' ', (byte) 0xff, '\r', '\n', 'x'};
        Files.write(dir.resolve("plain.sh"), raw);
        assertThat(assembly.assemble("plain.sh")).isEqualTo(raw);
    }

    @Test
    void anIncludeOnTheLastLineWithoutNewlineKeepsTheFileWithoutOne() throws Exception {
        script("y.sh", "echo\n# @include lib/a.sh");
        assertThat(text(assembly.assemble("y.sh"))).isEqualTo("echo\n# >>> lib/a.sh: a\na() { :; }\n# <<< lib/a.sh");
    }

    @Test
    void brokenIncludesAreErrorsThatSayWhatToFix() throws Exception {
        script("missing.sh", "# @include lib/nope.sh\n");
        assertThatThrownBy(() -> assembly.assemble("missing.sh")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("missing.sh line 1 includes lib/nope.sh, which is not in " + dir.resolve("lib"));

        script("typo.sh", "echo\n# @include lib/a\n");
        assertThatThrownBy(() -> assembly.assemble("typo.sh")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("typo.sh line 2: '# @include lib/a' is not an include");
        script("indented.sh", "  # @include lib/a.sh\n");
        assertThatThrownBy(() -> assembly.assemble("indented.sh")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("is not an include");
        script("escape.sh", "# @include lib/../x.sh\n");
        assertThatThrownBy(() -> assembly.assemble("escape.sh")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("is not an include");
        script("trailing.sh", "# @include lib/a.sh \n");
        assertThatThrownBy(() -> assembly.assemble("trailing.sh")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("is not an include");

        script("twice.sh", "# @include lib/a.sh\n# @include lib/a.sh\n");
        assertThatThrownBy(() -> assembly.assemble("twice.sh")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("twice.sh line 2 includes lib/a.sh a second time");

        lib("nested.sh", "# @include lib/a.sh\n");
        script("n.sh", "# @include lib/nested.sh\n");
        assertThatThrownBy(() -> assembly.assemble("n.sh")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("lib/nested.sh (included by n.sh line 1) includes another file");

        lib("open.sh", "o() { :; }");
        script("o.sh", "# @include lib/open.sh\n");
        assertThatThrownBy(() -> assembly.assemble("o.sh")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("lib/open.sh (included by o.sh line 1) must end with a newline");
    }

    @Test
    void onlyPlainScriptNamesOfTheWorkersDirectory() throws Exception {
        assertThatThrownBy(() -> assembly.assemble("../x.sh")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("plain file name");
        assertThatThrownBy(() -> assembly.assemble("none.sh")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'none.sh' not found in " + dir);
        assertThatThrownBy(() -> assembly.assemble("lib")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not found");
    }

    @Test
    void writeAllWritesEveryScriptAssembledAndExecutable() throws Exception {
        script("x.sh", "# @include lib/a.sh\nx\n");
        script("z.sh", "z\n");
        Files.writeString(dir.resolve("README.md"), "not a script");
        assertThat(assembly.scripts()).containsExactly("x.sh", "z.sh");

        List<Path> written = assembly.writeAll(out);
        assertThat(written).containsExactly(out.resolve("x.sh"), out.resolve("z.sh"));
        assertThat(out.resolve("x.sh")).hasContent("# >>> lib/a.sh: a\na() { :; }\n# <<< lib/a.sh\nx");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve("z.sh"))))
                .isEqualTo("rwxr-xr-x");
        try (var s = Files.list(out)) {
            assertThat(s).as("nothing else left behind").hasSize(2);
        }
    }

    private void script(String name, String content) throws Exception {
        Files.writeString(dir.resolve(name), content);
    }

    private void lib(String name, String content) throws Exception {
        Files.writeString(dir.resolve("lib").resolve(name), content);
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
