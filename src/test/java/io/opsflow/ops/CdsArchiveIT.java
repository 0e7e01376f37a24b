package io.opsflow.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * {@code ops/cds-archive} on the jar the build just made: the archive is written, and the training run (which halts
 * the JVM at the end of the context refresh, closing nothing) leaves no process of its sandbox behind.
 */
class CdsArchiveIT {
    @TempDir
    Path tmp;

    @Test
    void theTrainingRunWritesTheArchiveAndLeavesNothingRunning() throws Exception {
        Path jar = Path.of("target/opsflow-0.1.0-SNAPSHOT.jar");
        assertThat(jar).as("the IT phase runs after package").exists();
        Path scratchParent = Files.createDirectories(tmp.resolve("t"));
        Path dir = tmp.resolve("cds");
        ProcessBuilder pb = new ProcessBuilder("ops/cds-archive", "--jar=" + jar, "--dir=" + dir)
                .redirectErrorStream(true);
        pb.environment().put("TMPDIR", scratchParent.toString()); // the training's scratch var dir goes here
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        List<String> lines = out.strip().lines().toList();
        JsonNode result = new ObjectMapper().readTree(lines.get(lines.size() - 1));
        assertThat(result.get("ok").asBoolean()).as(out).isTrue();
        assertThat(Path.of(result.get("archive").asText())).isNotEmptyFile();
        assertThat(result.get("start").asText()).startsWith("java -XX:SharedArchiveFile=");
        // nothing started from the training's scratch directory outlives it (the sandbox's application instances are
        // processes of their own; the fleet's SSH hosts and load balancers live in the halted JVM)
        Thread.sleep(500);
        List<String> left = ProcessHandle.allProcesses()
                .map(h -> h.info().commandLine().orElse(""))
                .filter(c -> c.contains(scratchParent.toString()))
                .toList();
        assertThat(left).as("processes left by the training run").isEmpty();
    }

    @Test
    void aDirectoryTheScriptDidNotMakeIsNeverReplaced() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("mine"));
        Files.writeString(dir.resolve("notes.txt"), "keep me");
        Process p = new ProcessBuilder("ops/cds-archive", "--jar=target/opsflow-0.1.0-SNAPSHOT.jar", "--dir=" + dir)
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(1, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).isEqualTo(1);
        assertThat(out).contains("\"ok\":false").contains("was not made by ops/cds-archive");
        assertThat(dir.resolve("notes.txt")).hasContent("keep me");
    }
}
