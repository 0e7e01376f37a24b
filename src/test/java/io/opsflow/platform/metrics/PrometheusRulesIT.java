package io.opsflow.platform.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.opsflow.testsupport.RealComponent;

/**
 * The alert rules in ops/prometheus pass Prometheus's own checker ({@code promtool check rules}) and their unit tests
 * ({@code promtool test rules ops/prometheus/opsflow-rules.test.yml}: an incident open for 10 minutes, failing
 * notifications, opsflow down). promtool comes with the Debian package {@code prometheus}.
 */
class PrometheusRulesIT {

    record Result(int exit, String out) {
    }

    static Result run(Path dir, String... args) throws IOException, InterruptedException {
        Path promtool = RealComponent.require("promtool", "apt-get install prometheus", "/usr/bin/promtool");
        List<String> argv = new java.util.ArrayList<>(List.of(promtool.toString()));
        argv.addAll(List.of(args));
        Process p = new ProcessBuilder(argv).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("promtool finished").isTrue();
        return new Result(p.exitValue(), String.join(" ", argv) + "\n" + out);
    }

    static String promtool(Path dir, String... args) throws IOException, InterruptedException {
        Result r = run(dir, args);
        assertThat(r.exit()).as(r.out()).isZero();
        return r.out();
    }

    @Test
    void rulesPassPromtoolCheck() throws Exception {
        String out = promtool(Path.of("."), "check", "rules", OpsQueries.RULES.toString());
        assertThat(out).contains("SUCCESS: 7 rules found");
    }

    @Test
    void rulesPassTheirUnitTests() throws Exception {
        String out = promtool(OpsQueries.RULES.getParent(), "test", "rules", "opsflow-rules.test.yml");
        assertThat(out).contains("SUCCESS");
    }

    /** Misuse: a broken rule (unknown function) is refused by the same check, so the check is not a no-op. */
    @Test
    void aBrokenRuleFailsTheCheck(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path bad = dir.resolve("bad.yml");
        java.nio.file.Files.writeString(bad, """
                groups:
                  - name: bad
                    rules:
                      - alert: Bad
                        expr: no_such_function(opsflow_jobs_executable) > 0
                """);
        Result r = run(dir, "check", "rules", bad.toString());
        assertThat(r.exit()).as(r.out()).isNotZero();
        String out = r.out();
        assertThat(out).contains("no_such_function");
    }
}
