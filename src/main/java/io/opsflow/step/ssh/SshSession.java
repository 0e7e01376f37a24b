package io.opsflow.step.ssh;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.opsflow.step.exec.CommandFailedException;
import io.opsflow.step.exec.CommandTimeoutException;
import io.opsflow.step.exec.StepCancellation;
import io.opsflow.step.exec.StepCancelledException;
import io.opsflow.step.exec.StepLog;
import net.schmizz.sshj.SSHClient;
import net.schmizz.sshj.connection.channel.direct.Session;
import net.schmizz.sshj.connection.channel.direct.Signal;
import net.schmizz.sshj.sftp.SFTPClient;
import net.schmizz.sshj.xfer.FileSystemFile;
import net.schmizz.sshj.xfer.InMemorySourceFile;

/**
 * A session on one authenticated SSH connection to one host (from {@link SshConnections#open}, pooled, or
 * {@link SshConnections#openDedicated}). Commands run one after another on it (each in its own channel); not for
 * concurrent use from several threads. Close it when the step is done: a pooled connection goes back to its pool
 * (or is dropped when it broke), a dedicated one is closed.
 */
public final class SshSession implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SshSession.class);
    static final int STDERR_TAIL_CHARS = 4096;
    private static final Duration CLOSE_GRACE = Duration.ofSeconds(10);
    private static final Duration KILL_TIMEOUT = Duration.ofSeconds(10);
    /**
     * Prepended to every command: the login shell (a session and process group leader, started by sshd with
     * setsid) reports its pid on stderr, so a timed-out command's whole process group can be killed. The line is
     * consumed here, never logged or returned.
     */
    static final String PGID_PREFIX = "echo \"@opsflow-pgid:$$\" >&2; ";
    private static final Pattern PGID_LINE = Pattern.compile("@opsflow-pgid:([0-9]{1,10})");
    private static final AtomicLong PUMP_THREADS = new AtomicLong();
    /**
     * Copies commands' stdout and stderr, two tasks per running command: threads are reused (a thread per stream
     * started and ended for every command before), idle ones end after a minute.
     */
    private static final ExecutorService PUMPS = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 60, TimeUnit.SECONDS,
            new SynchronousQueue<>(), r -> {
                Thread t = new Thread(r, "ssh-output-" + PUMP_THREADS.incrementAndGet());
                t.setDaemon(true);
                return t;
            });

    private final SshTarget target;
    private final SSHClient client;
    private final Release release;
    private final boolean reused;
    private volatile boolean broken;
    private boolean closed;
    private SFTPClient sftp;

    /** Gives a pooled connection back; {@code broken}: it must not be used again. */
    interface Release {
        void release(boolean broken);
    }

    SshSession(SshTarget target, SSHClient client) {
        this(target, client, null, false);
    }

    SshSession(SshTarget target, SSHClient client, Release release, boolean reused) {
        this.target = target;
        this.client = client;
        this.release = release;
        this.reused = reused;
    }

    /** Output-copying threads started so far (for tests: they are reused from command to command). */
    static long outputThreadsStarted() {
        return PUMP_THREADS.get();
    }

    /** Whether this session's connection has {@code TCP_NODELAY} on (for tests). */
    boolean tcpNoDelay() {
        try {
            return client.getSocket().getTcpNoDelay();
        } catch (java.net.SocketException e) {
            return false;
        }
    }

    /** Whether this session runs on a pooled connection that an earlier session already used. */
    public boolean reused() {
        return reused;
    }

    public SshTarget target() {
        return target;
    }

    /** The connection this session runs on (its identity: a pooled connection is the same object each session). */
    Object connection() {
        return client;
    }

    public boolean isConnected() {
        return client.isConnected() && client.isAuthenticated();
    }

    /**
     * Runs {@code argv} on the host (quoted through {@link ShellQuote#join}) and waits for its end. Output lines go to
     * {@code log} as they arrive ({@code out}/{@code err}, prefixed with the host). A non-zero exit is returned, not
     * thrown. When {@code timeout} passes, the remote process group gets SIGKILL (see {@link #PGID_PREFIX}), the
     * channel is closed and {@link CommandTimeoutException} is thrown. When the step is stopped
     * ({@link StepCancellation#current()}, e.g. its job lease was lost), the channel is closed at once, the remote
     * process group is killed the same way and {@link StepCancelledException} is thrown.
     */
    public SshResult exec(List<String> argv, Duration timeout, StepLog log) {
        String command = ShellQuote.join(argv);
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
        List<String> shown = List.of("ssh", target.display(), command);
        StepCancellation cancellation = StepCancellation.current();
        cancellation.throwIfCancelled("not started: " + String.join(" ", shown));
        String prefix = target.host() + (target.port() == 22 ? "" : ":" + target.port()) + ": ";
        log.line("cmd", "$ ssh " + target.display() + " " + command);
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        Tail stderr = new Tail(STDERR_TAIL_CHARS);
        Session session;
        try {
            session = client.startSession();
        } catch (IOException | RuntimeException e) {
            broken = true;
            if (reused) {
                throw new StaleConnectionException("The pooled connection to " + target.display()
                        + " could not open a channel (nothing ran): " + e.getMessage(), e);
            }
            throw new SshConnectException("Cannot open a session channel on " + target.display()
                    + " (connection lost or server refused the channel; check MaxSessions): " + e.getMessage(), e);
        }
        try {
            Session.Command cmd;
            try {
                cmd = session.exec(PGID_PREFIX + command);
            } catch (IOException e) {
                throw new SshConnectException("The server " + target.display() + " refused to execute a command: "
                        + e.getMessage(), e);
            }
            Future<?> out = pump(cmd.getInputStream(), "ssh-out-" + target.host(), stdout,
                    line -> log.line("out", prefix + line));
            AtomicLong pgid = new AtomicLong(-1);
            // stopping the step kills the remote process group at once (from the thread that stops it, or here
            // as soon as the group id is known): the streams then end and this thread goes on below
            AtomicBoolean killing = new AtomicBoolean();
            CompletableFuture<String> killed = new CompletableFuture<>();
            Runnable killIfStopped = () -> {
                if (cancellation.cancelled() && pgid.get() > 0 && killing.compareAndSet(false, true)) {
                    killed.complete(kill(cmd, pgid.get()));
                }
            };
            Future<?> err = pump(cmd.getErrorStream(), "ssh-err-" + target.host(), null, line -> {
                // normally the first stderr line; a noisy ~/.bashrc may print before it
                if (pgid.get() < 0) {
                    Matcher m = PGID_LINE.matcher(line);
                    if (m.matches()) {
                        pgid.set(Long.parseLong(m.group(1)));
                        killIfStopped.run();
                        return;
                    }
                }
                stderr.add(line);
                log.line("err", prefix + line);
            });
            boolean ended;
            try (StepCancellation.Registration stop = cancellation.onCancel(killIfStopped)) {
                ended = awaitPumps(deadline, out, err);
            }
            if (cancellation.cancelled()) {
                String how = killing.compareAndSet(false, true) ? kill(cmd, pgid.get()) : awaitKill(killed);
                log.line("cmd", prefix + "stopped: " + cancellation.reason() + "; " + how);
                closeQuietly(session);
                throw new StepCancelledException(cancellation.reason(), "killed: " + String.join(" ", shown));
            }
            if (!ended) {
                String how = kill(cmd, pgid.get());
                log.line("cmd", prefix + "timed out after " + human(timeout) + "; " + how);
                closeQuietly(session);
                awaitPumps(System.nanoTime() + TimeUnit.SECONDS.toNanos(2), out, err);
                throw new CommandTimeoutException(timeout, shown, stderr.text());
            }
            // output is complete (EOF on both streams); the exit status arrives with/just before the channel close
            try {
                cmd.join(Math.max(1, Math.min(CLOSE_GRACE.toMillis(),
                        TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()) + 1000)), TimeUnit.MILLISECONDS);
            } catch (IOException e) {
                LOG.debug("channel to {} did not close cleanly: {}", target.display(), e.toString());
            }
            Integer status = cmd.getExitStatus();
            int exit;
            if (status != null) {
                exit = status;
            } else {
                exit = -1;
                Signal sig = cmd.getExitSignal();
                log.line("cmd", prefix + (sig != null ? "terminated by signal " + sig
                        : "the server reported no exit status (connection lost?)"));
                if (sig == null && !client.isConnected()) {
                    broken = true;
                    throw new SshConnectException("Connection to " + target.display() + " was lost while running: "
                            + command, null);
                }
            }
            log.line("cmd", prefix + "exit " + exit + " after " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime()
                    - start) + " ms");
            String o;
            synchronized (stdout) {
                o = stdout.toString(StandardCharsets.UTF_8);
            }
            return new SshResult(exit, o, stderr.text());
        } finally {
            closeQuietly(session);
        }
    }

    private static String awaitKill(CompletableFuture<String> killed) {
        try {
            return killed.get(KILL_TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted while the remote process group was being killed";
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            return "the kill of the remote process group did not report back: " + e;
        }
    }

    /** Like {@link #exec} but throws {@link CommandFailedException} unless the exit code is one of {@code ok} (default 0). */
    public SshResult execChecked(List<String> argv, Duration timeout, StepLog log, int... ok) {
        SshResult r = exec(argv, timeout, log);
        int[] accepted = ok.length == 0 ? new int[] {0} : ok;
        for (int c : accepted) {
            if (c == r.exitCode()) {
                return r;
            }
        }
        throw new CommandFailedException(r.exitCode(), List.of("ssh", target.display(), ShellQuote.join(argv)),
                r.stderrTail());
    }

    /** The SFTP client of this connection (opened on first use, closed with the session). */
    public synchronized SFTPClient sftp() {
        if (sftp == null) {
            try {
                sftp = client.newSFTPClient();
            } catch (IOException e) {
                throw new SshException("Cannot start the SFTP subsystem on " + target.display()
                        + " (is 'Subsystem sftp' configured in sshd_config?): " + e.getMessage(), e);
            }
        }
        return sftp;
    }

    /** Uploads a local file by SFTP to {@code remotePath} (parent directories created) and sets its mode. */
    public void upload(Path local, String remotePath, int mode) {
        if (!Files.isRegularFile(local)) {
            throw new IllegalArgumentException("cannot upload " + local + ": not a regular file");
        }
        SFTPClient s = sftp();
        try {
            int slash = remotePath.lastIndexOf('/');
            if (slash > 0) {
                s.mkdirs(remotePath.substring(0, slash));
            }
            s.put(new FileSystemFile(local.toFile()), remotePath);
            s.chmod(remotePath, mode);
        } catch (IOException e) {
            throw new SshException("SFTP upload of " + local.getFileName() + " to " + target.display() + ":"
                    + remotePath + " failed: " + e.getMessage(), e);
        }
    }

    /**
     * Uploads {@code content} by SFTP to {@code remotePath} (parent directories created) and sets its mode; {@code name}
     * names it in errors. For what is built in memory, such as an assembled worker script.
     */
    public void upload(byte[] content, String name, String remotePath, int mode) {
        SFTPClient s = sftp();
        try {
            int slash = remotePath.lastIndexOf('/');
            if (slash > 0) {
                s.mkdirs(remotePath.substring(0, slash));
            }
            s.put(new InMemorySourceFile() {
                @Override
                public String getName() {
                    return name;
                }

                @Override
                public long getLength() {
                    return content.length;
                }

                @Override
                public InputStream getInputStream() {
                    return new ByteArrayInputStream(content);
                }
            }, remotePath);
            s.chmod(remotePath, mode);
        } catch (IOException e) {
            throw new SshException("SFTP upload of " + name + " to " + target.display() + ":" + remotePath
                    + " failed: " + e.getMessage(), e);
        }
    }

    /**
     * Kills the timed-out command: SIGKILL to its process group through a second channel ({@code kill -s KILL --
     * -PGID}, the group id reported by the wrapper), plus the SSH "signal" request (honoured by OpenSSH for
     * non-root logins only). Returns what was done, for the log.
     */
    private String kill(Session.Command cmd, long pgid) {
        try {
            cmd.signal(Signal.KILL);
        } catch (IOException | RuntimeException e) {
            LOG.debug("could not send the SIGKILL signal request to {}: {}", target.display(), e.toString());
        }
        if (pgid <= 1) {
            return "sent the SIGKILL signal request (remote process group unknown) and closed the channel";
        }
        try (Session killer = client.startSession()) {
            Session.Command k = killer.exec(ShellQuote.join(List.of("kill", "-s", "KILL", "--", "-" + pgid)));
            k.join(KILL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            Integer st = k.getExitStatus();
            return "killed remote process group " + pgid + " (SIGKILL, kill exit " + st + ") and closed the channel";
        } catch (IOException | RuntimeException e) {
            LOG.warn("could not kill process group {} on {}: {}", pgid, target.display(), e.toString());
            return "could NOT kill remote process group " + pgid + " (" + e.getMessage() + "); closed the channel";
        }
    }

    /**
     * Copies a remote stream: every byte into {@code all} (when given), and each {@code \n}-terminated line (without
     * a trailing {@code \r}) to {@code lines} as soon as it is complete. On a thread of {@link #PUMPS}.
     */
    private static Future<?> pump(InputStream in, String name, ByteArrayOutputStream all, Consumer<String> lines) {
        return PUMPS.submit(() -> {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            try (in) {
                int n;
                while ((n = in.read(buf)) > 0) {
                    if (all != null) {
                        synchronized (all) {
                            all.write(buf, 0, n);
                        }
                    }
                    for (int i = 0; i < n; i++) {
                        if (buf[i] == '\n') {
                            lines.accept(decodeLine(line));
                            line.reset();
                        } else {
                            line.write(buf[i]);
                        }
                    }
                }
            } catch (IOException e) {
                LOG.debug("{} ended: {}", name, e.toString());
            }
            if (line.size() > 0) {
                lines.accept(decodeLine(line));
            }
        });
    }

    private static String decodeLine(ByteArrayOutputStream line) {
        String s = line.toString(StandardCharsets.UTF_8);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }

    /** Waits until every pump has copied its stream to the end; false when the deadline passed first. */
    private static boolean awaitPumps(long deadlineNanos, Future<?>... pumps) {
        for (Future<?> p : pumps) {
            try {
                p.get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            } catch (java.util.concurrent.TimeoutException e) {
                return false;
            } catch (java.util.concurrent.ExecutionException e) {
                LOG.warn("output of a command could not be copied: {}", e.getCause().toString());
            }
        }
        return true;
    }

    static String human(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }

    private static void closeQuietly(Session s) {
        try {
            s.close();
        } catch (IOException | RuntimeException ignored) {
            // already closed or connection gone
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (sftp != null) {
                sftp.close();
            }
        } catch (IOException | RuntimeException ignored) {
            broken = true; // an SFTP channel that does not close cleanly: do not trust the connection
        }
        if (release != null) {
            release.release(broken);
            return;
        }
        try {
            client.close();
        } catch (IOException | RuntimeException ignored) {
            // closing anyway
        }
    }

    /** Last N characters of a stream of lines. */
    static final class Tail {
        private final int max;
        private final Deque<String> lines = new ArrayDeque<>();
        private int chars;

        Tail(int max) {
            this.max = max;
        }

        synchronized void add(String line) {
            String l = line.length() > max ? line.substring(line.length() - max) : line;
            lines.addLast(l);
            chars += l.length() + 1;
            while (chars > max && lines.size() > 1) {
                chars -= lines.removeFirst().length() + 1;
            }
        }

        synchronized String text() {
            return String.join("\n", lines);
        }
    }
}
