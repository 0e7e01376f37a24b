package io.opsflow.workers;

import static org.assertj.core.api.Assertions.assertThat;

import io.opsflow.step.ssh.WorkerAssembly;
import io.opsflow.testsupport.RealComponent;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * What a host executes is a workers/ script assembled with the workers/lib/ files it includes
 * ({@link WorkerAssembly}): every assembled script and every lib file must pass shellcheck, the assembled scripts
 * follow the house rules (bash shebang, strict mode, documented usage, executable) and are self-contained, and
 * shared code lives once, in workers/lib/.
 */
class WorkersShellcheckTest {

    static final List<String> EXPECTED = List.of("collect-logs.sh", "release-activate.sh", "service.sh", "health-probe.sh", "lb-ctl.sh",
            "lb-switch.sh", "release-remove.sh", "db-backup-postgres.sh", "db-restore-postgres.sh",
            "db-backup-mariadb.sh", "db-restore-mariadb.sh", "dir-archive.sh", "dir-restore.sh", "artifact-list.sh");
    static final List<String> LIBS = List.of("artifact.sh", "common.sh", "db.sh", "lb.sh", "my.sh", "output.sh", "pg.sh",
            "service.sh");

    private static Path assembled;

    static Path basedir() {
        return Path.of(System.getProperty("basedir", System.getProperty("user.dir")));
    }

    static Path workersDir() {
        Path dir = basedir().resolve("workers");
        assertThat(dir).as("workers/ directory next to pom.xml").isDirectory();
        return dir;
    }

    static WorkerAssembly assembly() {
        return new WorkerAssembly(workersDir());
    }

    /**
     * The scripts as hosts get them, written to {@code target/assembled-workers/} (once per test JVM): run these,
     * never the sources in workers/, which need their lib files.
     */
    static synchronized Path assembledDir() {
        if (assembled == null) {
            Path dir = basedir().resolve("target/assembled-workers");
            assembly().writeAll(dir);
            assembled = dir;
        }
        return assembled;
    }

    static List<Path> assembledScripts() {
        return assembly().scripts().stream().map(assembledDir()::resolve).toList();
    }

    static List<Path> libs() throws IOException {
        try (Stream<Path> s = Files.list(workersDir().resolve(WorkerAssembly.LIB))) {
            return s.sorted().toList();
        }
    }

    @Test
    void everyAssembledScriptAndLibFilePassesShellcheck() throws Exception {
        Path shellcheck = RealComponent.require("shellcheck", "apt-get install shellcheck");
        List<String> scripts = new ArrayList<>(List.of(shellcheck.toString(), "--shell=bash", "--severity=style",
                "--format=gcc"));
        assembledScripts().forEach(p -> scripts.add(p.toString()));
        assertThat(run(scripts)).as("shellcheck findings in the assembled scripts (target/assembled-workers/)")
                .isEmpty();

        // a lib file alone: the variables it shares with its scripts are set or read there (SC2154, SC2034), and
        // every script runs it under set -e (SC2164); everything else is checked here as well as in the scripts
        List<String> libs = new ArrayList<>(List.of(shellcheck.toString(), "--shell=bash", "--severity=style",
                "--format=gcc", "--exclude=SC2154,SC2034,SC2164"));
        libs().forEach(p -> libs.add(p.toString()));
        assertThat(run(libs)).as("shellcheck findings in workers/lib/").isEmpty();
    }

    @Test
    void allScriptsOfTheContractExist() throws IOException {
        assertThat(assembly().scripts()).containsAll(EXPECTED);
        assertThat(libs()).extracting(p -> p.getFileName().toString()).containsExactlyElementsOf(LIBS);
    }

    @Test
    void assembledScriptsFollowTheHouseRules() throws IOException {
        for (Path p : assembledScripts()) {
            String name = p.getFileName().toString();
            List<String> lines = Files.readAllLines(p);
            assertThat(lines.get(0)).as(name + " shebang").isEqualTo("#!/usr/bin/env bash");
            assertThat(lines.get(1)).as(name + " header names the script").startsWith("# " + name + ": ");
            assertThat(lines).as(name + " strict mode").contains("set -euo pipefail");
            assertThat(lines).as(name + " names itself").contains("SCRIPT='" + name + "'");
            String text = String.join("\n", lines);
            assertThat(text).as(name + " documents usage").contains("# Usage:\n#   " + name + " ");
            assertThat(text).as(name + " documents its JSON result").contains("# Result (one JSON line on stdout):");
            assertThat(Files.isExecutable(p)).as(name + " is executable").isTrue();
            for (String line : lines) {
                String code = line.strip();
                assertThat(code).as(name + " is self-contained (nothing sourced, nothing left to include)")
                        .doesNotStartWith("source ").doesNotStartWith(". ").doesNotStartWith("# @include");
                assertThat(code).as(name + " uses no eval").doesNotStartWith("eval ").doesNotContain(" eval ");
                assertThat(code).as(name + " never runs a shell from a string").doesNotContain("bash -c")
                        .doesNotContain("sh -c");
            }
        }
    }

    @Test
    void sharedCodeLivesOnceInLibAndEveryLibIsUsed() throws IOException {
        WorkerAssembly assembly = assembly();
        Set<String> used = new HashSet<>();
        for (String script : assembly.scripts()) {
            List<String> includes = assembly.includes(script);
            assertThat(includes).as(script + " includes lib/common.sh first").first().isEqualTo("common.sh");
            used.addAll(includes);
            String text = Files.readString(assembledDir().resolve(script));
            for (String lib : includes) {
                assertThat(text).as(script + " carries lib/" + lib + " as it is")
                        .contains(Files.readString(workersDir().resolve("lib").resolve(lib)));
            }
        }
        assertThat(used).as("every lib file is included by some script").containsExactlyInAnyOrderElementsOf(LIBS);
        for (Path lib : libs()) {
            String name = lib.getFileName().toString();
            List<String> lines = Files.readAllLines(lib);
            // the markers show on a host where a lib's code starts and ends in the one file it runs
            assertThat(lines.get(0)).as(name + " opens with its marker").startsWith("# >>> lib/" + name + ": ");
            assertThat(lines.get(lines.size() - 1)).as(name + " closes with its marker")
                    .isEqualTo("# <<< lib/" + name);
            for (String line : lines) {
                String code = line.strip();
                assertThat(code).as(name + " is code for a script, not a script").doesNotStartWith("#!")
                        .isNotEqualTo("set -euo pipefail");
                assertThat(code).as(name + " sources nothing").doesNotStartWith("source ").doesNotStartWith(". ");
                assertThat(code).as(name + " uses no eval").doesNotStartWith("eval ").doesNotContain(" eval ");
                assertThat(code).as(name + " never runs a shell from a string").doesNotContain("bash -c")
                        .doesNotContain("sh -c");
            }
        }
    }

    private static String run(List<String> argv) throws Exception {
        Process process = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("shellcheck finished").isTrue();
        assertThat(process.exitValue()).as("shellcheck exit status; findings:\n" + output).isZero();
        return output;
    }
}
