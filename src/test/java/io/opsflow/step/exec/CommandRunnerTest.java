package io.opsflow.step.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CommandRunnerTest {
    private final CommandRunner runner = new CommandRunner(CommandRunner.DEFAULT_ALLOWED_ENV,
            Map.of("PATH", System.getenv("PATH"), "HOME", "/tmp", "SECRET_TOKEN", "leak-me"));

    @Test
    void argumentsReachTheProgramVerbatimWithoutAShell() {
        List<String> hostile = List.of("$(id)", "`id`", "a;rm -rf /", "x\ny", "'quoted'", "*", "-n");
        CommandResult r = runner.run(CommandSpec.of("printf").arg("%s|").args(hostile).build(), StepLogs.noop());
        assertThat(r.exitCode()).isZero();
        assertThat(r.stdout()).isEqualTo(String.join("|", hostile) + "|\n");
    }

    @Test
    void childSeesOnlyTheAllowListPlusStepAdditions() {
        CommandResult r = runner.run(CommandSpec.of("env").env("TF_IN_AUTOMATION", "1").build(), StepLogs.noop());
        assertThat(r.stdout()).contains("TF_IN_AUTOMATION=1").contains("HOME=/tmp").doesNotContain("SECRET_TOKEN");
    }

    @Test
    void nonZeroExitIsReturnedByRunAndThrownByRunCheckedWithStderrTail() {
        CommandSpec spec = CommandSpec.of("sh", "-c", "echo boom >&2; exit 3").build();
        assertThat(runner.run(spec, StepLogs.noop()).exitCode()).isEqualTo(3);
        assertThatThrownBy(() -> runner.runChecked(spec, StepLogs.noop()))
                .isInstanceOfSatisfying(CommandFailedException.class, e -> {
                    assertThat(e.exitCode()).isEqualTo(3);
                    assertThat(e.stderrTail()).contains("boom");
                    assertThat(e.getMessage()).contains("exited with 3").contains("boom");
                });
        assertThat(runner.runChecked(spec, StepLogs.noop(), 0, 3).exitCode()).isEqualTo(3);
    }

    @Test
    void missingBinaryIsATypedFailureNamingTheCommand() {
        assertThatThrownBy(() -> runner.run(CommandSpec.of("no-such-binary-opsflow", "x").build(), StepLogs.noop()))
                .isInstanceOf(BinaryNotFoundException.class)
                .hasMessageContaining("no-such-binary-opsflow");
        assertThatThrownBy(() -> runner.run(CommandSpec.of("/nonexistent/tool").build(), StepLogs.noop()))
                .isInstanceOf(BinaryNotFoundException.class);
    }

    @Test
    void timeoutKillsTheWholeProcessTree(@TempDir Path dir) throws Exception {
        Path pidFile = dir.resolve("child.pid");
        CommandSpec spec = CommandSpec.of("sh", "-c", "sleep 60 & echo $! > \"$1\"; wait", "sh", pidFile.toString())
                .timeout(Duration.ofMillis(700)).build();
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> runner.run(spec, StepLogs.noop())).isInstanceOf(CommandTimeoutException.class)
                .hasMessageContaining("timed out");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
        long childPid = Long.parseLong(Files.readString(pidFile).trim());
        boolean gone = ProcessHandle.of(childPid).map(h -> {
            try {
                h.onExit().get(5, TimeUnit.SECONDS);
                return true;
            } catch (Exception e) {
                return !h.isAlive();
            }
        }).orElse(true);
        assertThat(gone).as("grandchild sleep killed").isTrue();
    }

    @Test
    void stoppingTheStepKillsTheRunningProcessTreeAndThrows(@TempDir Path dir) throws Exception {
        Path pidFile = dir.resolve("child.pid");
        CommandSpec spec = CommandSpec.of("sh", "-c", "sleep 60 & echo $! > \"$1\"; wait", "sh", pidFile.toString())
                .timeout(Duration.ofMinutes(5)).build();
        StepCancellation stop = new StepCancellation();
        StepLogs.MemoryStepLog log = StepLogs.memory();
        CompletableFuture<CommandResult> running = CompletableFuture.supplyAsync(() -> {
            try (StepCancellation.Scope bound = StepCancellation.bind(stop)) {
                return runner.run(spec, log);
            }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while ((!Files.exists(pidFile) || Files.readString(pidFile).isBlank()) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        long childPid = Long.parseLong(Files.readString(pidFile).trim());

        stop.cancel("job lease lost for job 42: test");

        assertThatThrownBy(() -> running.get(30, TimeUnit.SECONDS)).cause()
                .isInstanceOf(StepCancelledException.class)
                .hasMessageContaining("job lease lost for job 42").hasMessageContaining("command killed: sh -c");
        ProcessHandle.of(childPid).ifPresent(h -> h.onExit().join());
        assertThat(ProcessHandle.of(childPid).map(ProcessHandle::isAlive).orElse(false)).as("grandchild").isFalse();
        assertThat(log.lines()).anyMatch(l -> l.contains("stopped: job lease lost for job 42: test; process tree killed"));
    }

    @Test
    void workTheStepHandsToAPoolOfItsOwnObservesTheStepsSignal(@TempDir Path dir) throws Exception {
        StepCancellation stop = new StepCancellation();
        Path marker = dir.resolve("ran");
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            java.util.concurrent.Callable<CommandResult> work;
            try (StepCancellation.Scope bound = StepCancellation.bind(stop)) {
                work = StepCancellation.inheriting(() -> runner.run(CommandSpec.of("touch", marker.toString()).build(),
                        StepLogs.noop()));
            }
            stop.cancel("job lease lost for job 9: test");
            java.util.concurrent.Future<CommandResult> f = pool.submit(work);
            assertThatThrownBy(() -> f.get(30, TimeUnit.SECONDS)).cause().isInstanceOf(StepCancelledException.class);
            assertThat(marker).as("the pool's thread saw the step stopped and started nothing").doesNotExist();
            assertThat(pool.submit(StepCancellation::current).get()).as("scope closed on the pool's thread")
                    .isSameAs(StepCancellation.NONE);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aStoppedStepStartsNoCommand(@TempDir Path dir) {
        StepCancellation stop = new StepCancellation();
        stop.cancel("job lease lost for job 7: test");
        Path marker = dir.resolve("ran");
        try (StepCancellation.Scope bound = StepCancellation.bind(stop)) {
            assertThatThrownBy(() -> runner.run(CommandSpec.of("touch", marker.toString()).build(), StepLogs.noop()))
                    .isInstanceOf(StepCancelledException.class).hasMessageContaining("command not started");
        }
        assertThat(marker).doesNotExist();
        assertThat(StepCancellation.current()).as("scope closed").isSameAs(StepCancellation.NONE);
    }

    /**
     * A shell that only waits for its child exits the instant the watchdog kills that child: the timeout must still
     * be reported as a timeout, never as the shell's own exit 137 (CI once saw exactly that race).
     */
    @RepeatedTest(8)
    void aTimeoutIsReportedEvenWhenTheParentExitsAsSoonAsItsChildIsKilled() {
        CommandSpec spec = CommandSpec.of("sh", "-c", "sleep 30 & wait").timeout(Duration.ofMillis(150)).build();
        assertThatThrownBy(() -> runner.run(spec, StepLogs.noop())).isInstanceOf(CommandTimeoutException.class);
    }

    @Test
    void aCommandThatFinishesInTimeIsNotATimeout() {
        CommandResult r = runner.run(CommandSpec.of("sh", "-c", "exit 4").timeout(Duration.ofSeconds(30)).build(),
                StepLogs.noop());
        assertThat(r.exitCode()).isEqualTo(4);
    }

    @Test
    void secretsAreMaskedInResultAndLog() {
        StepLogs.MemoryStepLog log = StepLogs.memory();
        CommandSpec spec = CommandSpec.of("echo", "token=s3cr3t-value").secret("s3cr3t-value").build();
        CommandResult r = runner.run(spec, log);
        assertThat(r.stdout()).contains("token=****").doesNotContain("s3cr3t");
        assertThat(r.maskedArgv()).containsExactly("echo", "token=****");
        assertThat(String.join("\n", log.lines())).doesNotContain("s3cr3t").contains("token=****");
    }

    @Test
    void outputIsStreamedAsItComes(@TempDir Path dir) throws Exception {
        Path gate = dir.resolve("gate");
        StepLogs.MemoryStepLog log = StepLogs.memory();
        CommandSpec spec = CommandSpec.of("sh", "-c", "echo first; while [ ! -f \"$1\" ]; do sleep 0.05; done; echo second",
                "sh", gate.toString()).timeout(Duration.ofSeconds(20)).build();
        CompletableFuture<CommandResult> f = CompletableFuture.supplyAsync(() -> runner.run(spec, log));
        long deadline = System.currentTimeMillis() + 10_000;
        while (log.lines().stream().noneMatch(l -> l.equals("[out] first")) && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        assertThat(log.lines()).contains("[out] first").doesNotContain("[out] second");
        Files.writeString(gate, "go");
        assertThat(f.get(10, TimeUnit.SECONDS).stdout()).isEqualTo("first\nsecond\n");
    }

    @Test
    void fileStepLogKeepsEveryLineAndATail(@TempDir Path dir) throws Exception {
        StepLogs logs = new StepLogs(dir.toString());
        try (StepLog log = logs.open("pi-1", "Task_Apply:abc", "Task_Apply")) {
            runner.run(CommandSpec.of("seq", "1", "20000").build(), log);
            assertThat(log.tail().length()).isLessThanOrEqualTo(StepLogs.TAIL_CHARS);
            assertThat(log.tail()).endsWith("[cmd] " + log.tail().lines().reduce((a, b) -> b).orElseThrow()
                    .substring(6));
        }
        Path file = logs.locate("pi-1", "Task_Apply:abc");
        List<String> lines = Files.readAllLines(file);
        assertThat(lines.stream().filter(l -> l.contains("[out] ")).count()).isEqualTo(20000);
        assertThat(lines).anyMatch(l -> l.endsWith("[out] 1")).anyMatch(l -> l.endsWith("[out] 10000"));
        assertThat(logs.list("pi-1")).extracting(StepLogs.Entry::bytes).containsExactly(Files.size(file));
        assertThatThrownBy(() -> logs.locate("../etc", "x")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void badSpecsAreRefused() {
        assertThatThrownBy(() -> CommandSpec.of().build()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CommandSpec.of("echo").timeout(Duration.ZERO).build())
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> runner.run(CommandSpec.of("echo").cwd(Path.of("/nonexistent-dir")).build(),
                StepLogs.noop())).isInstanceOf(IllegalArgumentException.class);
        assertThat(new SecretMasker(Set.of("abc", "abcdef")).mask("xabcdefx")).isEqualTo("x****x");
    }

    @Test
    void secretRefsResolveFromEnvOrFileAndNeverShowTheValue(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("pw");
        Files.writeString(f, "hunter22\n");
        assertThat(SecretRef.parse("file:" + f).resolve()).isEqualTo("hunter22");
        assertThat(SecretRef.parse("env:X", Map.of("X", "v1")::get).resolve()).isEqualTo("v1");
        assertThatThrownBy(() -> SecretRef.parse("env:MISSING", k -> null).resolve())
                .hasMessageContaining("env:MISSING");
        assertThatThrownBy(() -> SecretRef.parse("plain-password")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SecretRef.parse("env:BAD NAME")).isInstanceOf(IllegalArgumentException.class);
    }
}
