package io.opsflow.logs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import io.opsflow.step.ssh.WorkerAssembly;

/**
 * {@code workers/collect-logs.sh} as a host runs it (assembled), with real bash, awk and gzip and a home directory of
 * its own: the window, lines without a time stamp, the size limit at a line boundary, missing load balancer logs,
 * and arguments that never reach anything.
 */
class CollectLogsWorkerIT {
    @TempDir
    Path home;
    Path script;

    @BeforeEach
    void hostWithLogs() throws IOException {
        Path dir = Files.createDirectories(home.resolve("bin"));
        script = dir.resolve("collect-logs.sh");
        Files.write(script, new WorkerAssembly(Path.of("workers")).assemble("collect-logs.sh"));
        script.toFile().setExecutable(true);
        Path blue = Files.createDirectories(home.resolve("apps/webapp/instances/blue/log"));
        Files.writeString(blue.resolve("app.log"), String.join("\n",
                "2026-12-06T20:59:59Z starting webapp/blue version 1.0.0 on port 8000",
                "2026-12-06T21:00:00.001Z ERROR webapp 2.0.0-broken blue: boom 1",
                "Traceback (most recent call last):",
                "2026-12-06T21:05:00.000Z INFO webapp 2.0.0-broken blue: access 1.2.3.4 \"GET / HTTP/1.1\" 500 - 3ms",
                "2026-12-06T21:10:00.999Z ERROR webapp 2.0.0-broken blue: last second of the window",
                "2026-12-06T21:10:01Z INFO webapp 1.1.0 blue: after the window", ""));
        Files.createDirectories(home.resolve("apps/api/instances/green/log"));
        Files.writeString(home.resolve("apps/api/instances/green/log/app.log"),
                "2026-12-06T21:01:00Z ERROR api 1.0.0 green: api error\n");
        Files.createDirectories(home.resolve("log"));
        Files.writeString(home.resolve("log/lb-access.log"), "2026-12-06T21:02:00.5Z haproxy[staging]: 1.2.3.4 "
                + "\"GET / HTTP/1.1\" webapp/staging-web-1-blue 503 4ms\n");
    }

    record Run(int exit, JsonNode json) {
    }

    Run run(String... args) throws Exception {
        List<String> argv = new ArrayList<>(List.of(script.toString()));
        argv.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("HOME", home.toString());
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String[] lines = new String(out, StandardCharsets.UTF_8).strip().split("\n");
        return new Run(p.exitValue(), ReportRenderer.JSON.readTree(lines[lines.length - 1]));
    }

    List<String> lines(String file) throws IOException {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(Path.of(file)))) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            in.transferTo(b);
            String s = b.toString(StandardCharsets.UTF_8);
            return s.isEmpty() ? List.of() : List.of(s.split("\n"));
        }
    }

    @Test
    void theLinesOfTheWindowFromEveryApplicationAndTheLoadBalancerLandInOneGzipFile() throws Exception {
        Run r = run("--since", "2026-12-06T21:00:00Z", "--until", "2026-12-06T21:10:00", "--output",
                "~/out/logs.tsv.gz", "--lb-log", "~/log/lb-access.log", "--lb-log", "/nonexistent/haproxy.log");
        assertThat(r.exit()).as(r.json().toString()).isZero();
        assertThat(r.json().path("file").asText()).isEqualTo(home.resolve("out/logs.tsv.gz").toString());
        assertThat(lines(r.json().path("file").asText())).containsExactly(
                "app:api/green\t2026-12-06T21:01:00Z ERROR api 1.0.0 green: api error",
                "app:webapp/blue\t2026-12-06T21:00:00.001Z ERROR webapp 2.0.0-broken blue: boom 1",
                "app:webapp/blue\tTraceback (most recent call last):",
                "app:webapp/blue\t2026-12-06T21:05:00.000Z INFO webapp 2.0.0-broken blue: access 1.2.3.4 \"GET / "
                        + "HTTP/1.1\" 500 - 3ms",
                "app:webapp/blue\t2026-12-06T21:10:00.999Z ERROR webapp 2.0.0-broken blue: last second of the window",
                "lb:lb-access.log\t2026-12-06T21:02:00.5Z haproxy[staging]: 1.2.3.4 \"GET / HTTP/1.1\" "
                        + "webapp/staging-web-1-blue 503 4ms");
        assertThat(r.json().path("lines").asInt()).isEqualTo(6);
        assertThat(r.json().path("truncated").asBoolean()).isFalse();
        assertThat(r.json().path("missing").get(0).asText()).isEqualTo("/nonexistent/haproxy.log");
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(
                home.resolve("out/logs.tsv.gz")))).isEqualTo("rw-------");
        try (var s = Files.list(home.resolve("out"))) {
            assertThat(s.map(p -> p.getFileName().toString()).toList()).as("no partial file left")
                    .containsExactly("logs.tsv.gz");
        }
    }

    @Test
    void oneApplicationOnlyAndTheSizeLimitCutsAtALineBoundary() throws Exception {
        Run r = run("--since", "2026-12-06T21:00:00", "--until", "2026-12-06T21:10:00", "--output",
                home.resolve("o.gz").toString(), "--app", "webapp", "--max-bytes", "150");
        assertThat(r.exit()).isZero();
        assertThat(r.json().path("truncated").asBoolean()).isTrue();
        List<String> got = lines(home.resolve("o.gz").toString());
        assertThat(got).hasSize(2).allSatisfy(l -> assertThat(l).startsWith("app:webapp/blue\t"));
        assertThat(r.json().path("bytes").asLong()).isLessThanOrEqualTo(150);
    }

    @Test
    void invalidArgumentsAreExit2AndWriteNothing() throws Exception {
        for (String[] bad : List.of(
                new String[] {"--since", "$(touch pwned)", "--until", "2026-12-06T21:10:00", "--output", "~/x.gz"},
                new String[] {"--since", "2026-12-06T21:10:00", "--until", "2026-12-06T21:00:00", "--output", "~/x.gz"},
                new String[] {"--since", "2026-12-06T21:00:00", "--until", "2026-12-06T21:10:00", "--output",
                        "~/../x.gz"},
                new String[] {"--since", "2026-12-06T21:00:00", "--until", "2026-12-06T21:10:00", "--output", "~/x.gz",
                        "--app", "Web;app"},
                new String[] {"--since", "2026-12-06T21:00:00", "--until", "2026-12-06T21:10:00", "--output", "~/x.gz",
                        "--max-bytes", "0"},
                new String[] {"--since", "2026-12-06T21:00:00", "--until", "2026-12-06T21:10:00", "--output", "~/x.gz",
                        "--lb-log", "relative/path"})) {
            Run r = run(bad);
            assertThat(r.exit()).as(String.join(" ", bad)).isEqualTo(2);
            assertThat(r.json().path("ok").asBoolean()).isFalse();
        }
        assertThat(home.resolve("x.gz")).doesNotExist();
        assertThat(home.resolve("pwned")).doesNotExist();
        assertThat(Path.of("pwned")).doesNotExist();
    }
}
