package io.opsflow.step.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.opsflow.step.exec.CommandFailedException;
import io.opsflow.step.exec.CommandTimeoutException;
import io.opsflow.step.exec.StepCancellation;
import io.opsflow.step.exec.StepCancelledException;
import io.opsflow.step.exec.StepLogs;
import io.opsflow.testsupport.OpenSshd;

/** SshStep / SshConnections against a REAL OpenSSH sshd started on a loopback port. */
class SshStepIT {
    private static OpenSshd sshd;
    private static final Duration T = Duration.ofSeconds(30);
    private final SshStep step = new SshStep(new SshConnections(Duration.ofSeconds(10)));

    @BeforeAll
    static void startSshd() {
        sshd = OpenSshd.start();
    }

    @AfterAll
    static void stopSshd() {
        if (sshd != null) {
            sshd.close();
        }
    }

    private static SshTarget target() {
        return new SshTarget(sshd.host(), sshd.port(), sshd.user(), "file:" + sshd.clientPrivateKey(),
                sshd.knownHostsFile());
    }

    @Test
    void returnsExitStatusStdoutAndStderrAndLogsEveryLine() {
        var log = StepLogs.memory();
        SshResult r = step.run(target(), List.of("sh", "-c", "echo out1; echo err1 >&2; echo out2; exit 3"), T, log);
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.stdout()).isEqualTo("out1\nout2\n");
        assertThat(r.stderrTail()).isEqualTo("err1");
        String p = "127.0.0.1:" + sshd.port() + ": ";
        assertThat(log.lines()).contains("[out] " + p + "out1", "[err] " + p + "err1", "[out] " + p + "out2",
                "[cmd] " + p + "exit 3 after " + log.lines().stream().filter(l -> l.contains("exit 3 after"))
                        .findFirst().orElseThrow().replaceAll(".* after ", ""));
        assertThat(log.lines().get(1)).isEqualTo("[cmd] $ ssh " + target().display() + " sh -c 'echo out1; echo"
                + " err1 >&2; echo out2; exit 3'");

        assertThat(step.run(target(), List.of("true"), T, StepLogs.noop()).exitCode()).isZero();
        assertThat(step.run(target(), List.of("id", "-un"), T, StepLogs.noop()).stdout().trim())
                .isEqualTo(sshd.user());
    }

    @Test
    void commandsInARowReuseTheOutputThreadsAndTheConnectionSendsSmallPacketsAtOnce() throws Exception {
        try (SshSession s = new SshConnections(Duration.ofSeconds(10)).open(target())) {
            // TCP_NODELAY: without it, a channel open waited ~40 ms for the server's delayed ACK (docs/BENCHMARKS.md)
            assertThat(s.tcpNoDelay()).isTrue();
            s.exec(List.of("true"), T, StepLogs.noop()); // the pool's threads exist from here on
            long before = SshSession.outputThreadsStarted();
            for (int i = 0; i < 20; i++) {
                var log = StepLogs.memory();
                SshResult r = s.exec(List.of("sh", "-c", "echo out" + i + "; echo err" + i + " >&2"), T, log);
                assertThat(r.stdout()).isEqualTo("out" + i + "\n");
                assertThat(r.stderrTail()).isEqualTo("err" + i);
                String out = "out" + i;
                String err = "err" + i;
                assertThat(log.lines()).anyMatch(l -> l.endsWith(out)).anyMatch(l -> l.endsWith(err));
            }
            // two streams per command copied by reused threads: not 40 new threads (a few more only if another
            // test's command ran at the same moment)
            assertThat(SshSession.outputThreadsStarted() - before).isLessThanOrEqualTo(4);
        }
    }

    @Test
    void execCheckedThrowsCommandFailedWithStderrTail() throws Exception {
        try (SshSession s = new SshConnections(Duration.ofSeconds(10)).open(target())) {
            assertThatThrownBy(() -> s.execChecked(List.of("ls", "/definitely/not/here"), T, StepLogs.noop()))
                    .isInstanceOf(CommandFailedException.class)
                    .hasMessageContaining("exited with 2")
                    .hasMessageContaining("/definitely/not/here");
            // same connection is still usable for the next command
            assertThat(s.execChecked(List.of("echo", "again"), T, StepLogs.noop()).stdout()).isEqualTo("again\n");
        }
    }

    @Test
    void outputIsStreamedWhileTheCommandRuns() throws Exception {
        Path flag = sshd.directory().resolve("flag-" + System.nanoTime());
        var log = StepLogs.memory();
        CompletableFuture<SshResult> running = CompletableFuture.supplyAsync(() -> step.run(target(),
                List.of("sh", "-c", "echo first; while [ ! -e \"$1\" ]; do sleep 0.05; done; echo second", "sh",
                        flag.toString()), T, log));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (log.lines().stream().noneMatch(l -> l.endsWith(": first")) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(log.lines()).anyMatch(l -> l.endsWith(": first"));
        assertThat(running).as("first line arrived while the command still runs").isNotDone();
        assertThat(log.lines()).noneMatch(l -> l.endsWith(": second"));
        Files.writeString(flag, "go");
        SshResult r = running.get(20, TimeUnit.SECONDS);
        assertThat(r.stdout()).isEqualTo("first\nsecond\n");
        assertThat(r.exitCode()).isZero();
    }

    @Test
    void timeoutKillsTheRemoteProcessGroupAndThrows() throws Exception {
        String marker = "313." + (System.nanoTime() % 100000);
        var log = StepLogs.memory();
        CompletableFuture<SshResult> running = CompletableFuture.supplyAsync(() -> step.run(target(),
                List.of("sh", "-c", "sleep " + marker + "; echo never"), Duration.ofSeconds(3), log));
        assertThat(awaitProcesses(marker, true)).as("remote sleep started").isTrue();
        assertThatThrownBy(() -> running.get(30, TimeUnit.SECONDS))
                .hasCauseInstanceOf(CommandTimeoutException.class)
                .cause().hasMessageContaining("timed out after 3s")
                .hasMessageContaining("ssh " + target().display());
        assertThat(awaitProcesses(marker, false)).as("remote sleep (and its sh) killed").isTrue();
        assertThat(log.lines()).anyMatch(l -> l.matches(".*timed out after 3s; killed remote process group [0-9]+ "
                        + "\\(SIGKILL, kill exit 0\\).*"))
                .noneMatch(l -> l.startsWith("[out]"));
    }

    @Test
    void aStoppedStepKillsTheRemoteProcessGroupClosesTheChannelAndThrows() throws Exception {
        String marker = "314." + (System.nanoTime() % 100000);
        var log = StepLogs.memory();
        StepCancellation stop = new StepCancellation();
        CompletableFuture<SshResult> running = CompletableFuture.supplyAsync(() -> {
            try (StepCancellation.Scope bound = StepCancellation.bind(stop)) {
                return step.run(target(), List.of("sh", "-c", "sleep " + marker + "; echo never"),
                        Duration.ofMinutes(5), log);
            }
        });
        assertThat(awaitProcesses(marker, true)).as("remote sleep started").isTrue();

        stop.cancel("job lease lost for job 42: test");

        assertThatThrownBy(() -> running.get(30, TimeUnit.SECONDS)).cause()
                .isInstanceOf(StepCancelledException.class)
                .hasMessageContaining("job lease lost for job 42").hasMessageContaining("ssh " + target().display());
        assertThat(awaitProcesses(marker, false)).as("remote sleep (and its sh) killed").isTrue();
        assertThat(log.lines()).anyMatch(l -> l.matches(".*stopped: job lease lost for job 42: test; killed remote"
                + " process group [0-9]+ .*")).noneMatch(l -> l.startsWith("[out]"));
        // the pooled connection is still good for the next step
        assertThat(step.run(target(), List.of("true"), T, StepLogs.noop()).exitCode()).isZero();
    }

    @Test
    void aStoppedStepAlsoStopsTheCommandsOfItsFanOutThreads() throws Exception {
        String marker = "315." + (System.nanoTime() % 100000);
        StepCancellation stop = new StepCancellation();
        SshFanOut fanOut = new SshFanOut(new SshConnections(Duration.ofSeconds(10)));
        CompletableFuture<FanOutResult<SshResult>> running = CompletableFuture.supplyAsync(() -> {
            try (StepCancellation.Scope bound = StepCancellation.bind(stop)) { // the job's thread
                return fanOut.forEach(List.of(target()), 1, s -> s.exec(List.of("sleep", marker),
                        Duration.ofMinutes(5), StepLogs.noop()));
            }
        });
        assertThat(awaitProcesses(marker, true)).as("remote sleep started").isTrue();

        stop.cancel("job lease lost for job 43: test");

        FanOutResult<SshResult> r = running.get(30, TimeUnit.SECONDS);
        assertThat(r.outcomes()).singleElement().satisfies(o -> assertThat(o.error())
                .isInstanceOf(StepCancelledException.class).hasMessageContaining("job lease lost for job 43"));
        assertThat(awaitProcesses(marker, false)).as("remote sleep killed").isTrue();
    }

    /** Waits until processes whose command line contains marker exist (present=true) or are all gone. */
    private static boolean awaitProcesses(String marker, boolean present) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline) {
            boolean any = ProcessHandle.allProcesses().anyMatch(ph -> ph.isAlive()
                    && ph.info().commandLine().orElse("").contains(marker));
            if (any == present) {
                return true;
            }
            Thread.sleep(50);
        }
        return false;
    }

    @Test
    void hostileArgvRoundTripsExactlyOverRealSsh() {
        List<String> argv = new ArrayList<>(List.of("printf", "%s\\0"));
        argv.addAll(HostileCorpus.WORDS);
        Path marker = Path.of("/tmp/opsflow-pwned");
        SshResult r = step.run(target(), argv, T, StepLogs.noop());
        assertThat(r.exitCode()).as(r.stderrTail()).isZero();
        assertThat(ShellQuoteTest.splitNul(r.stdout().getBytes(StandardCharsets.UTF_8)))
                .containsExactlyElementsOf(HostileCorpus.WORDS);
        assertThat(marker).doesNotExist();
    }

    @Test
    void aWrongHostKeyIsRefused() throws Exception {
        Path otherKey = sshd.directory().resolve("impostor_key");
        OpenSshd.generateKeyPair(otherKey, "", "impostor");
        String otherPub = Files.readString(otherKey.resolveSibling("impostor_key.pub")).trim().split(" ")[1];
        Path kh = sshd.directory().resolve("known_hosts_wrong");
        Files.writeString(kh, "[127.0.0.1]:" + sshd.port() + " ssh-ed25519 " + otherPub + "\n");
        SshTarget t = target().withKnownHostsFile(kh);
        assertThatThrownBy(() -> step.run(t, List.of("touch", "/tmp/opsflow-should-not-run"), T, StepLogs.noop()))
                .isInstanceOf(HostKeyVerificationException.class)
                .hasMessageContaining("DIFFERS from the key recorded in " + kh)
                .hasMessageContaining(fingerprint(sshd.hostKeyPublicLine()))
                .satisfies(e -> assertThat(((HostKeyVerificationException) e).presentedFingerprint())
                        .isEqualTo(fingerprint(sshd.hostKeyPublicLine())));
        assertThat(Path.of("/tmp/opsflow-should-not-run")).doesNotExist();
    }

    @Test
    void anUnknownHostIsRefused() throws Exception {
        Path kh = sshd.directory().resolve("known_hosts_other_port");
        // the right key, but recorded for another port: not this host
        Files.writeString(kh, "[127.0.0.1]:1 " + sshd.hostKeyPublicLine() + "\n");
        assertThatThrownBy(() -> step.run(target().withKnownHostsFile(kh), List.of("true"), T, StepLogs.noop()))
                .isInstanceOf(HostKeyVerificationException.class)
                .hasMessageContaining("is not in " + kh)
                .hasMessageContaining("[127.0.0.1]:" + sshd.port());

        Path missing = sshd.directory().resolve("no_such_known_hosts");
        assertThatThrownBy(() -> step.run(target().withKnownHostsFile(missing), List.of("true"), T,
                StepLogs.noop())).isInstanceOf(HostKeyVerificationException.class)
                .hasMessageContaining(missing + " for " + target().display() + " does not exist");
    }

    @Test
    void pinnedFingerprintsAreEnforced() {
        String right = fingerprint(sshd.hostKeyPublicLine());
        SshTarget pinned = new SshTarget(sshd.host(), sshd.port(), sshd.user(), "file:" + sshd.clientPrivateKey(),
                null, null, List.of(right));
        assertThat(step.run(pinned, List.of("echo", "pinned"), T, StepLogs.noop()).stdout()).isEqualTo("pinned\n");

        SshTarget wrong = pinned.withPinnedFingerprints(List.of("SHA256:" + "A".repeat(43)));
        assertThatThrownBy(() -> step.run(wrong, List.of("true"), T, StepLogs.noop()))
                .isInstanceOf(HostKeyVerificationException.class)
                .hasMessageContaining("matches none of the pinned fingerprints")
                .hasMessageContaining(right);
    }

    @Test
    void noHostKeyTrustConfiguredIsRejectedUpFront() {
        assertThatThrownBy(() -> new SshTarget("127.0.0.1", 22, "root", "file:/k", null, null, List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("neither a known_hosts file nor pinned host key fingerprints");
    }

    @Test
    void anUnauthorizedKeyIsRefused() throws Exception {
        Path stranger = sshd.directory().resolve("stranger_key");
        OpenSshd.generateKeyPair(stranger, "", "stranger");
        SshTarget t = new SshTarget(sshd.host(), sshd.port(), sshd.user(), "file:" + stranger,
                sshd.knownHostsFile());
        assertThatThrownBy(() -> step.run(t, List.of("true"), T, StepLogs.noop()))
                .isInstanceOf(SshAuthenticationException.class)
                .hasMessageContaining("Public key authentication as " + t.display() + " failed")
                .hasMessageContaining("authorized_keys");

        SshTarget missing = new SshTarget(sshd.host(), sshd.port(), sshd.user(), "file:/nonexistent/key",
                sshd.knownHostsFile());
        assertThatThrownBy(() -> step.run(missing, List.of("true"), T, StepLogs.noop()))
                .isInstanceOf(SshAuthenticationException.class)
                .hasMessageContaining("/nonexistent/key (keyRef file:/nonexistent/key) does not exist");
    }

    @Test
    void passphraseProtectedKeyWorksWithTheRightPassphraseOnly() throws Exception {
        Path key = sshd.directory().resolve("protected_key");
        OpenSshd.generateKeyPair(key, "correct horse battery", "protected");
        sshd.authorize(key.resolveSibling("protected_key.pub"));
        Path pass = sshd.directory().resolve("passphrase");
        Files.writeString(pass, "correct horse battery\n");
        Path wrongPass = sshd.directory().resolve("wrong-passphrase");
        Files.writeString(wrongPass, "Tr0ub4dor&3");
        SshTarget t = new SshTarget(sshd.host(), sshd.port(), sshd.user(), "file:" + key, sshd.knownHostsFile())
                .withPassphraseRef("file:" + pass);
        assertThat(step.run(t, List.of("echo", "unlocked"), T, StepLogs.noop()).stdout()).isEqualTo("unlocked\n");

        assertThatThrownBy(() -> step.run(t.withPassphraseRef("file:" + wrongPass), List.of("true"), T,
                StepLogs.noop())).isInstanceOf(SshAuthenticationException.class)
                .hasMessageContaining("Cannot read the private key " + key)
                .hasMessageContaining("passphrase reference file:" + wrongPass)
                .hasMessageNotContaining("Tr0ub4dor").hasMessageNotContaining("correct horse");
        assertThatThrownBy(() -> step.run(t.withPassphraseRef(null), List.of("true"), T, StepLogs.noop()))
                .isInstanceOf(SshAuthenticationException.class)
                .hasMessageContaining("configure its passphrase reference");
    }

    @Test
    void connectionRefusedIsATypedFailureAndBadArgvFailsBeforeConnecting() throws IOException {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        SshTarget nobody = new SshTarget("127.0.0.1", closedPort, sshd.user(), "file:" + sshd.clientPrivateKey(),
                sshd.knownHostsFile());
        assertThatThrownBy(() -> step.run(nobody, List.of("true"), T, StepLogs.noop()))
                .isInstanceOf(SshConnectException.class)
                .hasMessageContaining("Cannot connect to " + nobody.display())
                .hasMessageContaining("connection refused");
        var log = StepLogs.memory();
        assertThatThrownBy(() -> step.run(nobody, List.of(), T, log))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("argv must not be empty");
        assertThatThrownBy(() -> step.run(nobody, List.of("echo", "a\0b"), T, log))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NUL");
        assertThat(log.lines()).as("nothing attempted").isEmpty();
    }

    static String fingerprint(String publicLine) {
        try {
            byte[] blob = Base64.getDecoder().decode(publicLine.trim().split("\\s+")[1]);
            return "SHA256:" + Base64.getEncoder().withoutPadding()
                    .encodeToString(MessageDigest.getInstance("SHA-256").digest(blob));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
