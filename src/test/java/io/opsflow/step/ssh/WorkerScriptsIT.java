package io.opsflow.step.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.opsflow.step.exec.StepLogs;
import io.opsflow.testsupport.OpenSshd;

/**
 * WorkerScripts against a real sshd: content-addressed copies on the host, upload-once by checksum, JSON result,
 * protocol violations, old versions removed.
 */
class WorkerScriptsIT {
    private static OpenSshd sshd;
    private static final Duration T = Duration.ofSeconds(30);

    @TempDir
    Path localWorkers;
    private Path remoteDir;
    private WorkerScripts workers;
    private SshTarget target;

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

    @BeforeEach
    void setUp() throws Exception {
        try (Stream<Path> s = Files.list(Path.of("src/test/resources/workers-test"))) {
            for (Path p : s.toList()) {
                Files.copy(p, localWorkers.resolve(p.getFileName()));
            }
        }
        // the "host" is this machine: its remote dir is a fresh directory we can inspect directly
        remoteDir = sshd.directory().resolve("home-" + System.nanoTime()).resolve(".opsflow/workers");
        workers = new WorkerScripts(new SshConnections(Duration.ofSeconds(10)), localWorkers, remoteDir.toString(),
                Duration.ofMinutes(1));
        target = new SshTarget(sshd.host(), sshd.port(), sshd.user(), "file:" + sshd.clientPrivateKey(),
                sshd.knownHostsFile());
    }

    /** The host's copy of the current version of a test worker: {@code <dir>/<script>-<sha256>}. */
    private Path remote(String script) {
        String sha = WorkerScripts.sha256(workers.assembly().assemble(script));
        Path p = remoteDir.resolve(script + "-" + sha);
        assertThat(workers.remotePath(script)).isEqualTo(p.toString());
        return p;
    }

    @Test
    void uploadsOnceRunsWithQuotedArgsAndParsesTheLastLine() throws Exception {
        List<String> args = List.of("it's", "$(touch /tmp/opsflow-pwned)", "a b", "", "ünï", "x&y", "--force");
        var log1 = StepLogs.memory();
        WorkerResult r = workers.run(target, "echo-json.sh", args, T, log1);

        assertThat(r.exitCode()).isZero();
        assertThat(r.ok()).isTrue();
        assertThat(r.json().get("argc").asInt()).isEqualTo(args.size());
        assertThat(r.json().get("args")).extracting(n -> n.asText()).containsExactlyElementsOf(args);
        assertThat(r.stdout()).startsWith("progress: working\n");
        assertThat(Path.of("/tmp/opsflow-pwned")).doesNotExist();
        assertThat(log1.lines()).anyMatch(l -> l.contains("uploading worker echo-json.sh to " + target.display()))
                .anyMatch(l -> l.endsWith("echo-json: 7 argument(s)"));

        Path remote = remote("echo-json.sh");
        assertThat(Files.readString(remote)).isEqualTo(Files.readString(localWorkers.resolve("echo-json.sh")));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(remote))).isEqualTo("rwxr-xr-x");
        FileTime mtime = Files.getLastModifiedTime(remote);
        Object inode = Files.getAttribute(remote, "unix:ino");
        try (Stream<Path> s = Files.list(remoteDir)) {
            assertThat(s.map(p -> p.getFileName().toString())).as("no temporary upload left behind")
                    .containsExactly(remote.getFileName().toString());
        }

        var log2 = StepLogs.memory();
        WorkerResult again = workers.run(target, "echo-json.sh", List.of("second"), T, log2);
        assertThat(again.json().get("args").get(0).asText()).isEqualTo("second");
        assertThat(log2.lines()).anyMatch(l -> l.contains("worker echo-json.sh is up to date on " + target.display()))
                .noneMatch(l -> l.contains("uploading worker"));
        assertThat(Files.getLastModifiedTime(remote)).isEqualTo(mtime);
        assertThat(Files.getAttribute(remote, "unix:ino")).as("file not replaced").isEqualTo(inode);
    }

    @Test
    void aChangedLocalScriptIsUploadedAgain() throws Exception {
        workers.run(target, "echo-json.sh", List.of(), T, StepLogs.noop());
        Path local = localWorkers.resolve("echo-json.sh");
        Files.writeString(local, Files.readString(local).replace("progress: working", "progress: v2"));
        var log = StepLogs.memory();
        WorkerResult r = workers.run(target, "echo-json.sh", List.of(), T, log);
        assertThat(r.stdout()).startsWith("progress: v2\n");
        assertThat(log.lines()).anyMatch(l -> l.contains("uploading worker echo-json.sh")
                && l.contains("not present there"));
        assertThat(Files.readString(remote("echo-json.sh"))).isEqualTo(Files.readString(local));
    }

    @Test
    void theHostGetsTheAssembledScriptChecksummedAsAssembled() throws Exception {
        Files.createDirectories(localWorkers.resolve("lib"));
        Path lib = localWorkers.resolve("lib/greet.sh");
        Files.writeString(lib, "greet() { printf '{\"ok\":true,\"greeting\":\"%s\"}\\n' \"$1\"; }\n");
        Files.writeString(localWorkers.resolve("hello.sh"),
                "#!/usr/bin/env bash\nset -euo pipefail\n# @include lib/greet.sh\ngreet \"$1\"\n");
        byte[] assembled = workers.assembly().assemble("hello.sh");
        assertThat(new String(assembled)).doesNotContain("@include").contains("greet() {");

        var log1 = StepLogs.memory();
        WorkerResult r = workers.run(target, "hello.sh", List.of("hi"), T, log1);
        assertThat(r.ok()).as(r.stdout()).isTrue();
        assertThat(r.json().get("greeting").asText()).isEqualTo("hi");
        Path remote = remote("hello.sh");
        assertThat(Files.readAllBytes(remote)).as("one self-contained file on the host").isEqualTo(assembled);
        assertThat(log1.lines()).anyMatch(l -> l.contains("uploading worker hello.sh")
                && l.contains("(sha256 " + WorkerScripts.sha256(assembled) + ", not present there)"));

        var log2 = StepLogs.memory();
        workers.run(target, "hello.sh", List.of("again"), T, log2);
        assertThat(log2.lines()).as("same assembled text: not uploaded again")
                .anyMatch(l -> l.contains("worker hello.sh is up to date")).noneMatch(l -> l.contains("uploading worker"));

        // a change in a lib file changes every script that includes it: uploaded again
        Files.writeString(lib, Files.readString(lib).replace("greeting", "hello"));
        var log3 = StepLogs.memory();
        WorkerResult changed = workers.run(target, "hello.sh", List.of("hi"), T, log3);
        assertThat(changed.json().get("hello").asText()).isEqualTo("hi");
        assertThat(log3.lines()).anyMatch(l -> l.contains("uploading worker hello.sh")
                && l.contains("not present there"));
        assertThat(Files.readAllBytes(remote("hello.sh"))).isEqualTo(workers.assembly().assemble("hello.sh"));
        assertThat(Files.readAllBytes(remote)).as("the earlier version is a file of its own").isEqualTo(assembled);
    }

    @Test
    void aScriptWhoseIncludeCannotBeHonouredIsNeitherUploadedNorRun() throws Exception {
        Files.writeString(localWorkers.resolve("broken.sh"), "#!/usr/bin/env bash\n# @include lib/missing.sh\n");
        var log = StepLogs.memory();
        assertThatThrownBy(() -> workers.run(target, "broken.sh", List.of(), T, log))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("broken.sh line 2 includes lib/missing.sh, which is not in");
        assertThat(log.lines()).isEmpty();
        assertThat(remoteDir).doesNotExist();
    }

    @Test
    void workerFailureIsAResultWithItsJson() {
        WorkerResult r = workers.run(target, "fails.sh", List.of("disk full"), T, StepLogs.noop());
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.ok()).isFalse();
        assertThat(r.error()).isEqualTo("boom: disk full");
    }

    @Test
    void aNonJsonLastLineIsATechnicalFailureThatSaysWhatToFix() {
        assertThatThrownBy(() -> workers.run(target, "not-json.sh", List.of(), T, StepLogs.noop()))
                .isInstanceOf(WorkerOutputException.class)
                .hasMessageContaining("worker not-json.sh on " + target.display() + " exited 0")
                .hasMessageContaining("last stdout line is not JSON: 'done, all fine'")
                .hasMessageContaining("Workers must print exactly one JSON object as the last line of stdout")
                .hasMessageContaining("stderr tail: a diagnostic");
    }

    @Test
    void badInputIsRejectedBeforeAnythingIsUploadedOrRun() {
        var log = StepLogs.memory();
        assertThatThrownBy(() -> workers.run(target, "../workers-test/echo-json.sh", List.of(), T, log))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("plain file name");
        assertThatThrownBy(() -> workers.run(target, "no-such-worker.sh", List.of(), T, log))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'no-such-worker.sh' not found in " + localWorkers.toAbsolutePath());
        assertThatThrownBy(() -> workers.run(target, "echo-json.sh", List.of("a\0b"), T, log))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NUL");
        assertThatThrownBy(() -> new WorkerScripts(new SshConnections(T), localWorkers, "../../etc"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no '..'");
        assertThat(log.lines()).isEmpty();
        assertThat(remoteDir).doesNotExist();
    }

    @Test
    void aScriptVerifiedOnThisConnectionRunsAgainWithoutAChecksumRoundTrip() {
        var first = StepLogs.memory();
        workers.run(target, "echo-json.sh", List.of("one"), T, first);
        assertThat(first.lines()).anyMatch(l -> l.contains("sha256sum"));

        var second = StepLogs.memory();
        WorkerResult r = workers.run(target, "echo-json.sh", List.of("two"), T, second);
        assertThat(r.json().get("args").get(0).asText()).isEqualTo("two");
        assertThat(second.lines()).as("the pooled connection saw this script a moment ago")
                .noneMatch(l -> l.contains("sha256sum"))
                .anyMatch(l -> l.contains("worker echo-json.sh is up to date on " + target.display())
                        && l.contains("verified on this connection"));
    }

    @Test
    void aNewConnectionOrVerifiedForZeroChecksAgain() {
        workers.run(target, "echo-json.sh", List.of(), T, StepLogs.noop());
        SshConnections connections = new SshConnections(Duration.ofSeconds(10));
        WorkerScripts fresh = new WorkerScripts(connections, localWorkers, remoteDir.toString(), Duration.ofMinutes(1));
        try (SshSession dedicated = connections.openDedicated(target)) {
            var log = StepLogs.memory();
            fresh.run(dedicated, "echo-json.sh", List.of(), T, log);
            assertThat(log.lines()).anyMatch(l -> l.contains("sha256sum"));
        }
        WorkerScripts always = new WorkerScripts(new SshConnections(Duration.ofSeconds(10)), localWorkers,
                remoteDir.toString(), Duration.ZERO);
        always.run(target, "echo-json.sh", List.of(), T, StepLogs.noop());
        var log = StepLogs.memory();
        always.run(target, "echo-json.sh", List.of(), T, log);
        assertThat(log.lines()).anyMatch(l -> l.contains("sha256sum"));
        assertThatThrownBy(() -> new WorkerScripts(new SshConnections(T), localWorkers, remoteDir.toString(),
                Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("opsflow.workers.verified-for");
    }

    @Test
    void aRememberedScriptTheHostLostIsUploadedAgainAndRun() throws Exception {
        workers.run(target, "echo-json.sh", List.of(), T, StepLogs.noop());
        Files.delete(remote("echo-json.sh"));

        var log = StepLogs.memory();
        WorkerResult r = workers.run(target, "echo-json.sh", List.of("back"), T, log);
        assertThat(r.ok()).as(r.stdout()).isTrue();
        assertThat(r.json().get("args").get(0).asText()).isEqualTo("back");
        assertThat(log.lines()).anyMatch(l -> l.contains("worker echo-json.sh was gone from " + target.display()));
        assertThat(remote("echo-json.sh")).isRegularFile();
    }

    @Test
    void aRememberedScriptThatExits127ItselfRunsOnce() throws Exception {
        Path runs = sshd.directory().resolve("runs-" + System.nanoTime());
        workers.run(target, "exits-127.sh", List.of(runs.toString()), T, StepLogs.noop());
        var log = StepLogs.memory();
        WorkerResult r = workers.run(target, "exits-127.sh", List.of(runs.toString()), T, log);
        assertThat(r.exitCode()).isEqualTo(127);
        assertThat(r.error()).isEqualTo("a command of mine is missing");
        assertThat(Files.readAllLines(runs)).as("two runs, neither repeated").hasSize(2);
        assertThat(log.lines()).noneMatch(l -> l.contains("was gone"));
    }

    @Test
    void byDefaultAPooledConnectionRemembersACheckedScript() {
        WorkerScripts byDefault = new WorkerScripts(new SshConnections(Duration.ofSeconds(10)), localWorkers,
                remoteDir.toString());
        assertThat(byDefault.verifiedFor()).isEqualTo(WorkerScripts.DEFAULT_VERIFIED_FOR).isPositive();
        byDefault.run(target, "echo-json.sh", List.of(), T, StepLogs.noop());
        var log = StepLogs.memory();
        byDefault.run(target, "echo-json.sh", List.of(), T, log);
        assertThat(log.lines()).noneMatch(l -> l.contains("sha256sum"))
                .anyMatch(l -> l.contains("verified on this connection"));
    }

    @Test
    void aCopyTamperedWithAtItsContentAddressedPathIsReplacedOnTheFirstRunOfANewConnection() throws Exception {
        workers.run(target, "echo-json.sh", List.of(), T, StepLogs.noop());
        Path remote = remote("echo-json.sh");
        String genuine = Files.readString(remote);
        Files.writeString(remote, "#!/usr/bin/env bash\necho '{\"ok\":true,\"tampered\":true}'\n");

        WorkerScripts otherNode = new WorkerScripts(new SshConnections(Duration.ofSeconds(10)), localWorkers,
                remoteDir.toString());
        var log = StepLogs.memory();
        WorkerResult r = otherNode.run(target, "echo-json.sh", List.of("mine"), T, log);
        assertThat(r.json().has("tampered")).as(r.stdout()).isFalse();
        assertThat(r.json().get("args").get(0).asText()).isEqualTo("mine");
        assertThat(log.lines()).anyMatch(l -> l.contains("worker echo-json.sh: the copy on " + target.display()
                + " at " + remote + " has sha256 ") && l.contains("it was changed on the host; replacing it"));
        assertThat(Files.readString(remote)).isEqualTo(genuine);
    }

    @Test
    void aWorkerNameWithPathCharactersIsRefusedAndNothingHappens() {
        var log = StepLogs.memory();
        for (String bad : List.of("lib/greet.sh", "../echo-json.sh", "./echo-json.sh", ".hidden.sh", "a b.sh",
                "echo-json.sh\n", "/etc/passwd", "x*")) {
            assertThatThrownBy(() -> workers.run(target, bad, List.of(), T, log)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("plain file name");
            assertThatThrownBy(() -> workers.remotePath(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(log.lines()).isEmpty();
        assertThat(remoteDir).doesNotExist();
    }

    @Test
    void twoVersionsOfAScriptOnOneHostEachRunTheirOwn() throws Exception {
        Path v2Dir = Files.createDirectories(localWorkers.resolveSibling(localWorkers.getFileName() + "-v2"));
        Files.writeString(v2Dir.resolve("echo-json.sh"), Files.readString(localWorkers.resolve("echo-json.sh"))
                .replace("progress: working", "progress: v2"));
        WorkerScripts v2 = new WorkerScripts(new SshConnections(Duration.ofSeconds(10)), v2Dir,
                remoteDir.toString(), Duration.ofMinutes(1));
        for (int i = 0; i < 2; i++) { // the second round: both from memory, on their own pooled connections
            assertThat(workers.run(target, "echo-json.sh", List.of(), T, StepLogs.noop()).stdout())
                    .startsWith("progress: working\n");
            assertThat(v2.run(target, "echo-json.sh", List.of(), T, StepLogs.noop()).stdout())
                    .startsWith("progress: v2\n");
        }
        try (Stream<Path> s = Files.list(remoteDir)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder(
                    remote("echo-json.sh").getFileName().toString(),
                    Path.of(v2.remotePath("echo-json.sh")).getFileName().toString());
        }
    }

    @Test
    void afterAnUploadOldVersionsPastTheGraceAndHeldByNoRunningWorkerAreRemoved() throws Exception {
        // a worker with the real lib/common.sh: it holds a shared flock on its own file while it runs
        Files.createDirectories(localWorkers.resolve("lib"));
        Files.copy(Path.of("workers/lib/common.sh"), localWorkers.resolve("lib/common.sh"));
        Path script = localWorkers.resolve("slow.sh");
        String v1 = "#!/usr/bin/env bash\nset -euo pipefail\nSCRIPT=slow.sh\n# @include lib/common.sh\n"
                + "if [[ $# -gt 0 ]]; then : >\"$1\"; while [[ -e $1 ]]; do sleep 0.1; done; fi\nemit ok b true v s one\n";
        Files.writeString(script, v1);
        Path running = remote("slow.sh");
        Path started = sshd.directory().resolve("started-" + System.nanoTime());
        var runningWorker = java.util.concurrent.CompletableFuture.supplyAsync(
                () -> workers.run(target, "slow.sh", List.of(started.toString()), T, StepLogs.noop()));
        long deadline = System.nanoTime() + T.toNanos();
        while (!Files.exists(started) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(started).as("v1 runs and holds its lock").exists();

        Path oldIdle = remoteDir.resolve("slow.sh-" + "1".repeat(64));
        Path recent = remoteDir.resolve("slow.sh-" + "2".repeat(64));
        Path oldUpload = remoteDir.resolve(".slow.sh-" + "3".repeat(64) + ".upload-0123456789ab");
        Path otherWorker = remoteDir.resolve("slow.sh.bak-" + "4".repeat(64));
        Path notAVersion = remoteDir.resolve("slow.sh-notes");
        for (Path p : List.of(oldIdle, recent, oldUpload, otherWorker, notAVersion)) {
            Files.writeString(p, "#!/bin/sh\n");
        }
        FileTime twoHoursAgo = FileTime.fromMillis(System.currentTimeMillis() - Duration.ofHours(2).toMillis());
        for (Path p : List.of(running, oldIdle, oldUpload, otherWorker, notAVersion)) {
            Files.setLastModifiedTime(p, twoHoursAgo);
        }

        Files.writeString(script, v1.replace("s one", "s two"));
        var log = StepLogs.memory();
        WorkerResult r = workers.run(target, "slow.sh", List.of(), T, log);
        assertThat(r.json().get("v").asText()).as(r.stdout()).isEqualTo("two");
        assertThat(remote("slow.sh")).isRegularFile();
        assertThat(oldIdle).as("old and idle").doesNotExist();
        assertThat(oldUpload).as("a temporary upload left behind").doesNotExist();
        assertThat(running).as("old, but a worker runs it").isRegularFile();
        assertThat(recent).as("within the grace period").isRegularFile();
        assertThat(otherWorker).as("another worker's name").isRegularFile();
        assertThat(notAVersion).as("not a digest").isRegularFile();

        Files.delete(started); // v1 finishes, its own JSON
        assertThat(runningWorker.get(30, java.util.concurrent.TimeUnit.SECONDS).json().get("v").asText())
                .isEqualTo("one");
    }
}
