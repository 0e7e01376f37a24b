package io.opsflow.workers;

import static org.assertj.core.api.Assertions.assertThat;

import io.opsflow.testsupport.RealComponent;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The workers/ scripts are uploaded one by one to managed hosts: each must pass shellcheck, follow the house
 * rules (bash shebang, strict mode, documented usage, executable) and be self-contained. Shared helper blocks are
 * copied into every script between {@code # >>> NAME} and {@code # <<< NAME}; all copies must stay identical.
 */
class WorkersShellcheckTest {

    static final List<String> EXPECTED = List.of("release-activate.sh", "service.sh", "health-probe.sh", "lb-ctl.sh",
            "lb-switch.sh", "release-remove.sh", "db-backup-postgres.sh", "db-restore-postgres.sh",
            "db-backup-mariadb.sh", "db-restore-mariadb.sh", "dir-archive.sh", "dir-restore.sh");

    static Path workersDir() {
        Path dir = Path.of(System.getProperty("basedir", System.getProperty("user.dir"))).resolve("workers");
        assertThat(dir).as("workers/ directory next to pom.xml").isDirectory();
        return dir;
    }

    static List<Path> scripts() throws IOException {
        try (Stream<Path> s = Files.list(workersDir())) {
            return s.filter(p -> p.getFileName().toString().endsWith(".sh")).sorted().toList();
        }
    }

    @Test
    void everyScriptPassesShellcheck() throws Exception {
        Path shellcheck = RealComponent.require("shellcheck", "apt-get install shellcheck");
        List<String> argv = new ArrayList<>(List.of(shellcheck.toString(), "--shell=bash", "--severity=style",
                "--format=gcc"));
        for (Path p : scripts()) {
            argv.add(p.toString());
        }
        Process process = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("shellcheck finished").isTrue();
        assertThat(output).as("shellcheck findings").isEmpty();
        assertThat(process.exitValue()).isZero();
    }

    @Test
    void allScriptsOfTheContractExist() throws IOException {
        assertThat(scripts()).extracting(p -> p.getFileName().toString()).containsAll(EXPECTED);
        assertThat(workersDir().resolve("lib")).doesNotExist();
    }

    @Test
    void scriptsFollowTheHouseRules() throws IOException {
        for (Path p : scripts()) {
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
                assertThat(code).as(name + " is self-contained (nothing sourced)")
                        .doesNotStartWith("source ").doesNotStartWith(". ");
                assertThat(code).as(name + " uses no eval").doesNotStartWith("eval ").doesNotContain(" eval ");
                assertThat(code).as(name + " never runs a shell from a string").doesNotContain("bash -c")
                        .doesNotContain("sh -c");
            }
        }
    }

    @Test
    void sharedBlocksAreIdenticalInEveryScript() throws IOException {
        Pattern block = Pattern.compile("(?ms)^# >>> ([a-z]+)\\b.*?^# <<< \\1$");
        Map<String, String> first = new HashMap<>();
        Map<String, String> firstIn = new HashMap<>();
        for (Path p : scripts()) {
            String text = Files.readString(p);
            Matcher m = block.matcher(text);
            boolean common = false;
            while (m.find()) {
                String id = m.group(1);
                common |= id.equals("common");
                String previous = first.putIfAbsent(id, m.group());
                firstIn.putIfAbsent(id, p.getFileName().toString());
                assertThat(m.group()).as("block '" + id + "' in " + p.getFileName() + " equals the one in "
                        + firstIn.get(id)).isEqualTo(previous == null ? m.group() : previous);
            }
            assertThat(common).as(p.getFileName() + " has the common block").isTrue();
        }
        assertThat(first).containsKeys("common", "service", "lb", "db", "pg", "my");
    }
}
