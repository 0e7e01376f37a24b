package io.opsflow.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.opsflow.sandbox.SandboxEngineConfig;

/**
 * The sandbox fleet as a process of its own ({@code opsflow.sandbox.mode=fleet}): a JVM on the test's class path,
 * its own directory, port range and mail port. Ready when it has written {@link SandboxEngineConfig#FILE}; engine
 * nodes point at it with {@link #engineArgs()}.
 */
public final class FleetProcess implements AutoCloseable {
    private final Process process;
    private final Path dir;
    private final Path log;

    private FleetProcess(Process process, Path dir, Path log) {
        this.process = process;
        this.dir = dir;
        this.log = log;
    }

    /** Starts the fleet in {@code dir} (its log next to it) and waits until it is up. */
    public static FleetProcess start(Path dir, String... extraArgs) throws IOException {
        RealComponent.require("python3", "apt-get install python3", "/usr/bin/python3");
        // below the ephemeral port range, as SandboxApp's
        int ports = SandboxApp.freeBlock(10000, 120, 0, 1, 10, 11, 21, 22, 31, 32, 100, 101);
        int mail = SandboxApp.freeBlock(24000, 15, 30) + 30;
        List<String> argv = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx384m", "-cp", System.getProperty("java.class.path"), "io.opsflow.OpsflowApplication",
                "--opsflow.sandbox.mode=fleet", "--opsflow.sandbox.dir=" + dir,
                "--opsflow.sandbox.port-range-start=" + ports, "--opsflow.sandbox.mail.port=" + mail,
                "--opsflow.var-dir=" + dir.resolveSibling(dir.getFileName() + "-var")));
        argv.addAll(List.of(extraArgs));
        Path log = dir.resolveSibling(dir.getFileName() + ".log");
        Files.createDirectories(dir);
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        FleetProcess fleet = new FleetProcess(p, dir, log);
        try {
            SandboxApp.await(() -> Files.isRegularFile(dir.resolve(SandboxEngineConfig.FILE)) || !p.isAlive(),
                    Duration.ofSeconds(180), "the sandbox fleet to start in " + dir);
            if (!p.isAlive()) {
                throw new AssertionError("the sandbox fleet process exited with " + p.exitValue() + ":\n"
                        + fleet.logTail(40));
            }
        } catch (RuntimeException | AssertionError e) {
            fleet.close();
            throw e;
        }
        return fleet;
    }

    public Path dir() {
        return dir;
    }

    public Process process() {
        return process;
    }

    /** What an engine node needs to use this fleet instead of a sandbox of its own. */
    public List<String> engineArgs() {
        return List.of("opsflow.sandbox.mode=external", "opsflow.sandbox.fleet-dir=" + dir);
    }

    public String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(log);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** Stops the fleet as an operator would (SIGTERM: the fleet stops its instances and removes its file). */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
