package io.opsflow.sandbox;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.sshd.server.Environment;
import org.apache.sshd.server.ExitCallback;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.command.Command;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a real sshd does with an exec request: runs the command string through the login shell ({@code /bin/sh -c
 * <command>}) as a local process in the user's home (the host root), streams stdin/stdout/stderr over the channel and
 * reports the exit status. A signal or the channel closing before the command ends kills the whole process tree.
 * The environment is a login session's: HOME, USER, LOGNAME, SHELL, the configured system PATH
 * ({@code opsflow.sandbox.host-path}), TZ and LANG, and what the client sent of LANG, LC_* and TERM.
 * <p>
 * This is the one place in opsflow that hands a string to a shell: it is the remote side of SSH, where the command
 * string was built by the client from an argv through {@code ShellQuote}.
 */
final class LocalProcessCommand implements Command {
    private static final Logger LOG = LoggerFactory.getLogger(LocalProcessCommand.class);
    /** After the command exits, how long to wait for its output pipes to reach EOF (a daemon that kept them open). */
    private static final long DRAIN_MILLIS = 2000;

    /** util-linux setsid: execs in place (a child of the JVM is no group leader), so the pid stays the shell's. */
    private static final String SETSID = java.util.stream.Stream.of("/usr/bin/setsid", "/bin/setsid")
            .filter(f -> java.nio.file.Files.isExecutable(Path.of(f))).findFirst().orElse(null);

    private final String hostName;
    private final Path home;
    private final String user;
    private final String path;
    private final String command; // null = interactive shell
    private InputStream in;
    private OutputStream out;
    private OutputStream err;
    private ExitCallback exitCallback;
    private volatile Process process;
    private final AtomicBoolean finished = new AtomicBoolean();

    LocalProcessCommand(String hostName, Path home, String user, String path, String command) {
        this.hostName = hostName;
        this.home = home;
        this.user = user;
        this.path = path;
        this.command = command;
    }

    @Override
    public void setInputStream(InputStream in) {
        this.in = in;
    }

    @Override
    public void setOutputStream(OutputStream out) {
        this.out = out;
    }

    @Override
    public void setErrorStream(OutputStream err) {
        this.err = err;
    }

    @Override
    public void setExitCallback(ExitCallback callback) {
        this.exitCallback = callback;
    }

    @Override
    public void start(ChannelSession channel, Environment env) throws IOException {
        List<String> argv = new ArrayList<>();
        if (SETSID != null) {
            // like sshd: the user's shell leads its own session and process group ($$ = process group id)
            argv.add(SETSID);
        }
        argv.add("/bin/sh");
        if (command == null) {
            argv.add("-i");
        } else {
            argv.add("-c");
            argv.add(command);
        }
        ProcessBuilder pb = new ProcessBuilder(argv).directory(home.toFile());
        Map<String, String> pe = pb.environment();
        pe.clear();
        pe.put("PATH", path);
        pe.put("HOME", home.toString());
        pe.put("USER", user);
        pe.put("LOGNAME", user);
        pe.put("SHELL", "/bin/sh");
        pe.put("OPSFLOW_SANDBOX_HOST", hostName);
        copyIfSet(pe, "TZ");
        copyIfSet(pe, "LANG");
        // what the client sent with env requests: like OpenSSH's default AcceptEnv LANG LC_*
        env.getEnv().forEach((k, v) -> {
            if (k.equals("LANG") || k.startsWith("LC_") || k.equals("TERM")) {
                pe.put(k, v);
            }
        });
        Process p = pb.start();
        process = p;
        LOG.debug("{}: started pid {} for {}", hostName, p.pid(), command == null ? "(shell)" : command);
        env.addSignalListener((ch, signal) -> {
            LOG.debug("{}: signal {} for pid {}", hostName, signal, p.pid());
            killTree(p);
        });

        Thread stdinPump = pump("stdin", in, p.getOutputStream(), true);
        Thread stdoutPump = pump("stdout", p.getInputStream(), out, false);
        Thread stderrPump = pump("stderr", p.getErrorStream(), err, false);
        Thread waiter = new Thread(() -> {
            int code;
            try {
                code = p.waitFor();
                stdoutPump.join(DRAIN_MILLIS);
                stderrPump.join(DRAIN_MILLIS);
                if (stdoutPump.isAlive() || stderrPump.isAlive()) {
                    LOG.warn("{}: '{}' exited but a process it started keeps its stdout/stderr open; a real sshd would "
                            + "hang here (redirect the daemon's output)", hostName, command);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                code = 130;
            }
            stdinPump.interrupt();
            finish(code, null);
        }, "sandbox-" + hostName + "-wait-" + p.pid());
        waiter.setDaemon(true);
        waiter.start();
    }

    private static void copyIfSet(Map<String, String> env, String key) {
        String v = System.getenv(key);
        if (v != null) {
            env.put(key, v);
        }
    }

    private Thread pump(String name, InputStream from, OutputStream to, boolean closeTarget) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[8192];
            try {
                int n;
                while ((n = from.read(buf)) >= 0) {
                    if (n > 0) {
                        to.write(buf, 0, n);
                        to.flush();
                    }
                }
            } catch (IOException e) {
                LOG.trace("{}: {} pump ended: {}", hostName, name, e.toString());
            } finally {
                if (closeTarget) {
                    try {
                        to.close();
                    } catch (IOException ignored) {
                        // the process is gone
                    }
                }
            }
        }, "sandbox-" + hostName + "-" + name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private void finish(int code, String message) {
        if (finished.compareAndSet(false, true)) {
            try {
                out.flush();
                err.flush();
            } catch (IOException ignored) {
                // channel already closed
            }
            if (message == null) {
                exitCallback.onExit(code);
            } else {
                exitCallback.onExit(code, message);
            }
        }
    }

    /** Channel closed (client went away, timeout): a still running command and everything it started die. */
    @Override
    public void destroy(ChannelSession channel) {
        Process p = process;
        if (p != null && p.isAlive()) {
            LOG.debug("{}: channel closed, killing pid {} ({})", hostName, p.pid(), command);
            killTree(p);
        }
    }

    /**
     * Kills the command's process group (the shell and everything it started that did not detach with setsid, as
     * daemons like the application instances do). Without /proc (not Linux) every descendant is killed.
     */
    static void killTree(Process p) {
        List<ProcessHandle> tree = new ArrayList<>();
        p.toHandle().descendants().filter(h -> sameGroup(h, p.pid())).forEach(tree::add);
        p.toHandle().destroy();
        tree.forEach(ProcessHandle::destroy);
        try {
            if (!p.waitFor(500, TimeUnit.MILLISECONDS)) {
                p.toHandle().destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        tree.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
    }

    private static boolean sameGroup(ProcessHandle h, long pgid) {
        if (SETSID == null) {
            return true;
        }
        Path stat = Path.of("/proc", String.valueOf(h.pid()), "stat");
        try {
            String s = java.nio.file.Files.readString(stat);
            String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[2]) == pgid; // state ppid pgrp ...
        } catch (IOException | RuntimeException e) {
            return !java.nio.file.Files.isDirectory(Path.of("/proc/self"));
        }
    }
}
