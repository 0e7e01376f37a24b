package io.opsflow.step.exec;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.commons.exec.CommandLine;
import org.apache.commons.exec.DefaultExecutor;
import org.apache.commons.exec.ExecuteException;
import org.apache.commons.exec.ExecuteWatchdog;
import org.apache.commons.exec.LogOutputStream;
import org.apache.commons.exec.PumpStreamHandler;
import org.apache.commons.exec.Watchdog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * The one way opsflow runs a local program (Apache Commons Exec): argv list only, no shell; an explicit environment
 * (allow-list of the JVM's variables plus the step's additions); a timeout whose watchdog kills the whole process
 * tree; output streamed line by line to the step log, secrets masked. When the step is stopped
 * ({@link StepCancellation#current()}, e.g. its job lease was lost) the running process tree is killed the same way
 * and {@link StepCancelledException} is thrown.
 */
@Component
public class CommandRunner {
    private static final Logger LOG = LoggerFactory.getLogger(CommandRunner.class);
    public static final Set<String> DEFAULT_ALLOWED_ENV =
            Set.of("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "USER", "LOGNAME");

    private final Set<String> allowedEnv;
    private final Map<String, String> hostEnv;

    public CommandRunner() {
        this(DEFAULT_ALLOWED_ENV, System.getenv());
    }

    public CommandRunner(Set<String> allowedEnv, Map<String, String> hostEnv) {
        this.allowedEnv = Set.copyOf(allowedEnv);
        this.hostEnv = Map.copyOf(hostEnv);
    }

    /** Runs the command to its end. A non-zero exit is returned, not thrown; timeouts and missing binaries throw. */
    public CommandResult run(CommandSpec spec, StepLog log) {
        StepCancellation cancellation = StepCancellation.current();
        Set<String> secrets = new LinkedHashSet<>(spec.secrets());
        SecretMasker masker = new SecretMasker(secrets);
        secrets.forEach(log::addSecret);
        List<String> maskedArgv = masker.mask(spec.argv());
        Map<String, String> env = environment(spec);

        String binary = resolveBinary(spec.binary(), env.get("PATH"), maskedArgv);
        CommandLine cl = new CommandLine(binary);
        for (String arg : spec.argv().subList(1, spec.argv().size())) {
            cl.addArgument(arg, false);
        }

        StringBuilder stdout = new StringBuilder();
        TailBuffer stderr = new TailBuffer(StepLogs.TAIL_CHARS);
        LineSink out = new LineSink(line -> {
            String m = masker.mask(line);
            synchronized (stdout) {
                stdout.append(m).append('\n');
            }
            log.line("out", m);
        });
        LineSink err = new LineSink(line -> {
            String m = masker.mask(line);
            stderr.add(m);
            log.line("err", m);
        });

        TreeKillingWatchdog watchdog = new TreeKillingWatchdog(spec.timeout().toMillis());
        DefaultExecutor executor = DefaultExecutor.builder().get();
        executor.setStreamHandler(new PumpStreamHandler(out, err));
        executor.setWatchdog(watchdog);
        executor.setExitValues(null);
        Path cwd = spec.workingDirectory();
        if (cwd != null) {
            if (!Files.isDirectory(cwd)) {
                throw new IllegalArgumentException("working directory does not exist: " + cwd);
            }
            executor.setWorkingDirectory(cwd.toFile());
        }

        log.line("cmd", "$ " + String.join(" ", maskedArgv) + (cwd == null ? "" : "   (in " + cwd + ")"));
        String what = "command killed: " + String.join(" ", maskedArgv);
        cancellation.throwIfCancelled("command not started: " + String.join(" ", maskedArgv));
        long start = System.nanoTime();
        int exit;
        try (StepCancellation.Registration stop = cancellation.onCancel(watchdog::cancel)) {
            exit = executor.execute(cl, env);
        } catch (ExecuteException e) {
            exit = e.getExitValue();
        } catch (IOException e) {
            throw new BinaryNotFoundException(spec.binary(), maskedArgv, e);
        } finally {
            closeQuietly(out);
            closeQuietly(err);
        }
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        if (cancellation.cancelled()) {
            log.line("cmd", "stopped: " + cancellation.reason() + "; process tree killed");
            throw new StepCancelledException(cancellation.reason(), what);
        }
        if (watchdog.timedOut()) {
            log.line("cmd", "timed out after " + spec.timeout().toSeconds() + "s; process tree killed");
            throw new CommandTimeoutException(spec.timeout(), maskedArgv, stderr.text());
        }
        log.line("cmd", "exit " + exit + " after " + took.toMillis() + " ms");
        LOG.debug("command {} exited {} in {} ms", maskedArgv.get(0), exit, took.toMillis());
        return new CommandResult(maskedArgv, exit, took, stdout.toString(), stderr.text());
    }

    /** Runs the command and throws {@link CommandFailedException} unless its exit code is one of {@code ok}. */
    public CommandResult runChecked(CommandSpec spec, StepLog log, int... okExitCodes) {
        int[] ok = okExitCodes.length == 0 ? new int[] {0} : okExitCodes;
        CommandResult r = run(spec, log);
        if (Arrays.stream(ok).noneMatch(c -> c == r.exitCode())) {
            throw new CommandFailedException(r.exitCode(), r.maskedArgv(), r.stderrTail());
        }
        return r;
    }

    Map<String, String> environment(CommandSpec spec) {
        Map<String, String> env = new LinkedHashMap<>();
        for (String k : allowedEnv) {
            String v = hostEnv.get(k);
            if (v != null) {
                env.put(k, v);
            }
        }
        env.putAll(spec.extraEnv());
        return env;
    }

    /** Finds the executable on PATH (or checks an explicit path) so a missing tool is a clear, typed failure. */
    static String resolveBinary(String binary, String path, List<String> maskedArgv) {
        if (binary.contains("/")) {
            Path p = Path.of(binary);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return p.toString();
            }
            throw new BinaryNotFoundException(binary, maskedArgv, null);
        }
        if (path != null) {
            for (String dir : path.split(File.pathSeparator)) {
                if (dir.isEmpty()) {
                    continue;
                }
                Path p = Path.of(dir, binary);
                if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                    return p.toString();
                }
            }
        }
        throw new BinaryNotFoundException(binary, maskedArgv, null);
    }

    private static void closeQuietly(LineSink s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // best effort: the stream handler already pumped everything
        }
    }

    /** Splits a byte stream into UTF-8 lines and hands each to a consumer as it completes. */
    private static final class LineSink extends LogOutputStream {
        private final java.util.function.Consumer<String> consumer;

        LineSink(java.util.function.Consumer<String> consumer) {
            super(0, StandardCharsets.UTF_8);
            this.consumer = consumer;
        }

        @Override
        protected void processLine(String line, int level) {
            consumer.accept(line);
        }
    }

    /**
     * A watchdog that kills the child's descendants before the child itself: no orphaned grandchildren. It records
     * the timeout itself: commons-exec's {@code killedProcess()} stays false when the child exits on its own in the
     * moment between its descendants dying and the watchdog's liveness check (a shell whose {@code wait} returns
     * because its sleep was killed), which would report a timed-out command as an ordinary non-zero exit.
     */
    static final class TreeKillingWatchdog extends ExecuteWatchdog {
        private volatile Process process;
        private volatile boolean timedOut;
        private volatile boolean cancelled;

        @SuppressWarnings("deprecation")
        TreeKillingWatchdog(long timeoutMillis) {
            super(timeoutMillis);
        }

        @Override
        public synchronized void start(Process process) {
            this.process = process;
            super.start(process);
            if (cancelled) {
                killTree(process); // stopped between the check before the start and here
            }
        }

        @Override
        public synchronized void timeoutOccured(Watchdog w) {
            Process p = process;
            if (p != null && p.isAlive()) {
                timedOut = true;
                p.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
            }
            super.timeoutOccured(w);
            if (p != null) {
                p.destroyForcibly();
            }
        }

        /** The step was stopped: kills the process tree now (or as soon as it starts). */
        synchronized void cancel() {
            cancelled = true;
            Process p = process;
            if (p != null) {
                killTree(p);
            }
        }

        private static void killTree(Process p) {
            p.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }

        /** True when the timeout fired while the command was still running (and its tree was killed). */
        boolean timedOut() {
            return timedOut || killedProcess();
        }
    }
}
