package io.opsflow.database.host;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import org.springframework.stereotype.Component;

import com.fasterxml.jackson.databind.JsonNode;

import io.opsflow.database.BackupProperties;
import io.opsflow.database.BackupTarget;
import io.opsflow.database.BackupTargets;
import io.opsflow.environments.Environment;
import io.opsflow.environments.Environments;
import io.opsflow.environments.HostConfig;
import io.opsflow.step.exec.CommandException;
import io.opsflow.step.exec.SecretRef;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.ssh.HostTargets;
import io.opsflow.step.ssh.SshConnections;
import io.opsflow.step.ssh.SshException;
import io.opsflow.step.ssh.SshResult;
import io.opsflow.step.ssh.SshSession;
import io.opsflow.step.ssh.WorkerResult;
import io.opsflow.step.ssh.WorkerScripts;
import net.schmizz.sshj.sftp.FileAttributes;
import net.schmizz.sshj.sftp.OpenMode;
import net.schmizz.sshj.sftp.RemoteFile;

/**
 * SSH sessions to the hosts that run backups, restores and migrations: the host's home and staging directory,
 * worker scripts, streaming file transfer by SFTP, and database credentials as short-lived files on the host (a
 * {@code .pgpass} or a MariaDB option file, mode 0600, in the private directory {@value #CREDENTIALS_DIR} (0700) of
 * the staging directory, named {@code cred-<random>}; the password never appears in an argument, a variable or a log
 * line).
 * <p>
 * No credentials file outlives a crash: the db workers hold a shared {@code flock} on their file while they run and
 * remove it when they exit (also when the node that started them died); the session removes what it wrote when it
 * closes; and every session first sweeps the directory: a {@code cred-*} file older than
 * {@value #CREDENTIALS_GRACE_MINUTES} minute that no running worker holds (its exclusive {@code flock} succeeds) is
 * left from a crash (a node killed mid-step, a worker killed with SIGKILL) and is removed. A file this node wrote but
 * could not remove (the host went away, or the step was stopped, before the session closed) is removed by the node's
 * next session on that host without waiting for the grace period: a retry of the step within the minute must not
 * leave it behind.
 */
@Component
public class BackupHosts {
    static final Duration SHORT = Duration.ofMinutes(2);
    static final String CREDENTIALS_DIR = ".credentials";
    /** A credentials file younger than this may be about to be used by a worker that has not locked it yet. */
    static final int CREDENTIALS_GRACE_MINUTES = 1;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SshConnections connections;
    private final HostTargets hostTargets;
    private final WorkerScripts workers;
    private final BackupTargets targets;
    private final BackupProperties props;
    /** Credentials files a session wrote and could not remove, per environment/host: the next session removes them. */
    private final Map<String, Set<String>> leftBehind = new ConcurrentHashMap<>();

    public BackupHosts(SshConnections connections, HostTargets hostTargets, WorkerScripts workers,
                       BackupTargets targets, BackupProperties props) {
        this.connections = connections;
        this.hostTargets = hostTargets;
        this.workers = workers;
        this.targets = targets;
        this.props = props;
    }

    public BackupTargets targets() {
        return targets;
    }

    public BackupProperties properties() {
        return props;
    }

    public Environments environments() {
        return targets.environments();
    }

    /** A session on the host that runs the target's workers. */
    public Session open(BackupTarget t, StepLog log) {
        HostConfig host = targets.hostOf(t);
        return open(targets.environments().get(t.environment()), host, log);
    }

    /**
     * Runs {@code body} in a session on the host of the target's workers. Failing to reach the host, an SSH failure
     * or a command timeout there throws an exception whose message starts with the host's name and {@code what}
     * failed (the SSH layer knows only {@code user@address:port}), so an incident names the host and the step; other
     * exceptions (the modelled ones, a worker's own error that names the host already) pass unchanged.
     */
    public <T> T onHost(BackupTarget t, String what, StepLog log, Function<Session, T> body) {
        HostConfig host = targets.hostOf(t);
        try (Session s = open(targets.environments().get(t.environment()), host, log)) {
            return body.apply(s);
        } catch (SshException | CommandException e) {
            throw new IllegalStateException(host.name() + ": " + what + " failed: " + e.getMessage(), e);
        }
    }

    /** A session on any host of an environment. */
    public Session open(Environment env, HostConfig host, StepLog log) {
        SshSession ssh = connections.open(hostTargets.target(env, host));
        try {
            return new Session(ssh, host, env, log);
        } catch (RuntimeException e) {
            ssh.close();
            throw e;
        }
    }

    /** One connection to one host, with what the backup steps need there. */
    public final class Session implements AutoCloseable {
        private final SshSession ssh;
        private final HostConfig host;
        private final Environment env;
        private final StepLog log;
        private final String home;
        private final String staging;
        private final String credentials;
        private final List<String> cleanup = new ArrayList<>();

        Session(SshSession ssh, HostConfig host, Environment env, StepLog log) {
            this.ssh = ssh;
            this.host = host;
            this.env = env;
            this.log = log;
            SshResult r = ssh.exec(List.of("printenv", "HOME"), SHORT, log);
            String h = r.stdout().strip();
            if (r.exitCode() != 0 || !h.startsWith("/")) {
                throw new SshException("cannot tell the home directory of " + ssh.target().display()
                        + " (printenv HOME: exit " + r.exitCode() + ", '" + h + "')");
            }
            this.home = h;
            String dir = props.getHostStagingDir();
            this.staging = dir.startsWith("/") ? dir : home + "/" + dir;
            this.credentials = staging + "/" + CREDENTIALS_DIR;
            ssh.execChecked(List.of("mkdir", "-p", "-m", "700", "--", staging, credentials), SHORT, log);
            ssh.execChecked(List.of("chmod", "700", "--", credentials), SHORT, log);
            sweepCredentials();
            removeLeftBehind();
        }

        private String hostKey() {
            return env.name() + "/" + host.name();
        }

        /**
         * Removes the credentials files an earlier session of this node on this host could not remove, unless a
         * worker still holds one (it removes its file when it exits).
         */
        private void removeLeftBehind() {
            Set<String> left = leftBehind.getOrDefault(hostKey(), Set.of());
            for (String path : List.copyOf(left)) {
                String name = path.substring(path.lastIndexOf('/') + 1);
                ssh.execChecked(List.of("find", credentials, "-maxdepth", "1", "-type", "f", "-name", name, "-exec",
                        "flock", "-n", "-x", "{}", "rm", "-f", "--", "{}", ";"), SHORT, log);
                left.remove(path);
                log.line("step", "removed " + path + " on " + host.name() + ", left by an earlier session");
            }
        }

        /**
         * Removes credentials files left by a crash: older than the grace period and not locked by a running worker.
         */
        private void sweepCredentials() {
            ssh.execChecked(List.of("find", credentials, "-maxdepth", "1", "-type", "f", "-name", "cred-*",
                    "-mmin", "+" + CREDENTIALS_GRACE_MINUTES, "-exec", "flock", "-n", "-x", "{}", "rm", "-f", "--",
                    "{}", ";"), SHORT, log);
        }

        /** The private directory of this host's credentials files. */
        public String credentialsDir() {
            return credentials;
        }

        public HostConfig host() {
            return host;
        }

        public String hostName() {
            return host.name();
        }

        public String home() {
            return home;
        }

        public String staging() {
            return staging;
        }

        public StepLog log() {
            return log;
        }

        /** The environment's application root on this host (the workers' --root). */
        public String appRoot() {
            return env.appRoot() == null || env.appRoot().isBlank() ? "~" : env.appRoot();
        }

        /** An absolute path for a configured path: relative ones are relative to the home directory. */
        public String absolute(String path) {
            return path.startsWith("/") ? path : home + "/" + path;
        }

        public SshResult exec(List<String> argv, Duration timeout) {
            return ssh.exec(argv, timeout, log);
        }

        public WorkerResult worker(String script, List<String> args, Duration timeout) {
            return workers.run(ssh, script, args, timeout, log);
        }

        /** Runs a worker and returns its JSON, or fails with the worker's error and {@code what} failed. */
        public JsonNode workerOk(String script, List<String> args, Duration timeout, String what) {
            WorkerResult r = worker(script, args, timeout);
            if (!r.ok()) {
                throw new IllegalStateException(what + " failed on " + host.name() + ": "
                        + (r.error() != null ? r.error() : "exit " + r.exitCode()));
            }
            return r.json();
        }

        /** Streams a file from the host; the caller closes the stream. */
        public InputStream download(String remotePath) {
            try {
                RemoteFile rf = ssh.sftp().open(remotePath);
                InputStream in = rf.new ReadAheadRemoteFileInputStream(16);
                return new java.io.FilterInputStream(in) {
                    @Override
                    public void close() throws IOException {
                        try {
                            super.close();
                        } finally {
                            rf.close();
                        }
                    }
                };
            } catch (IOException e) {
                throw new SshException("cannot read " + host.name() + ":" + remotePath + " by SFTP: " + e.getMessage(),
                        e);
            }
        }

        /** Writes a stream to a file on the host (created with {@code mode}); returns the bytes written. */
        public long upload(InputStream content, String remotePath, int mode) {
            try (RemoteFile rf = ssh.sftp().open(remotePath, EnumSet.of(OpenMode.WRITE, OpenMode.CREAT,
                    OpenMode.TRUNC), new FileAttributes.Builder().withPermissions(mode).build());
                 OutputStream out = rf.new RemoteFileOutputStream(0, 16)) {
                return content.transferTo(out);
            } catch (IOException e) {
                throw new SshException("cannot write " + host.name() + ":" + remotePath + " by SFTP: "
                        + e.getMessage(), e);
            }
        }

        /** SHA-256 of a file on the host, by sha256sum. */
        public String sha256(String remotePath) {
            SshResult r = ssh.execChecked(List.of("sha256sum", "--", remotePath), SHORT, log);
            return r.stdout().strip().split("\\s+")[0];
        }

        /** Removes a file or directory under the staging directory (anything else is refused). */
        public void removeStaged(String path) {
            if (!path.startsWith(staging + "/") || path.contains("/../") || path.endsWith("/..")) {
                throw new IllegalArgumentException("refusing to remove " + path + ": not under the staging directory "
                        + staging);
            }
            ssh.execChecked(List.of("rm", "-rf", "--", path), SHORT, log);
        }

        /** Deletes staging files matching {@code namePattern} older than the orphan grace period. */
        public void sweep(String namePattern) {
            long minutes = Math.max(1, props.getOrphanGrace().toMinutes());
            ssh.exec(List.of("find", staging, "-maxdepth", "1", "-name", namePattern, "-mmin", "+" + minutes,
                    "-exec", "rm", "-rf", "--", "{}", "+"), SHORT, log);
        }

        /**
         * Removes the staging files matching {@code namePattern} (a {@code find -name} pattern of one target's
         * partial files) that no running worker holds: workers hold an exclusive flock on the partial file they
         * write (workers/lib/output.sh), inherited by the tools writing it, so what is left unlocked was left by a
         * worker that died (its node killed) or by a dump tool that outlived its worker. No age: the target's lock
         * keeps any other run of it from creating one at the same time.
         */
        public void sweepUnheld(String namePattern) {
            if (namePattern.contains("/") || !namePattern.contains(".partial-")) {
                throw new IllegalArgumentException("not a partial-file pattern of the staging directory: "
                        + namePattern);
            }
            ssh.execChecked(List.of("find", staging, "-maxdepth", "1", "-type", "f", "-name", namePattern,
                    "-exec", "flock", "-n", "-x", "{}", "rm", "-f", "--", "{}", ";"), SHORT, log);
        }

        /** A unique path in the staging directory. */
        public String stagingPath(String prefix, String suffix) {
            byte[] r = new byte[4];
            RANDOM.nextBytes(r);
            return staging + "/" + prefix + HexFormat.of().formatHex(r) + suffix;
        }

        /**
         * The database's credentials as a file on the host for the workers: a .pgpass (PostgreSQL) or an option
         * file (MariaDB), or null when the database has no password reference (peer/trust authentication).
         * Removed when the session closes.
         */
        public String credentialsFile(Environment.Database db) {
            if (db.passwordRef() == null || db.passwordRef().isBlank()) {
                return null;
            }
            String password = SecretRef.parse(db.passwordRef()).resolve();
            log.addSecret(password);
            String content;
            if (BackupTarget.POSTGRES.equals(db.kind())) {
                content = pgpassField(db.host()) + ":" + db.port() + ":*:" + pgpassField(db.user()) + ":"
                        + pgpassField(password) + "\n";
            } else {
                content = "[client]\npassword=\"" + password.replace("\\", "\\\\").replace("\"", "\\\"") + "\"\n";
            }
            byte[] r = new byte[8];
            RANDOM.nextBytes(r);
            String path = credentials + "/cred-" + HexFormat.of().formatHex(r)
                    + (BackupTarget.POSTGRES.equals(db.kind()) ? ".pgpass" : ".cnf");
            cleanup.add(path);
            upload(new java.io.ByteArrayInputStream(content.getBytes(StandardCharsets.UTF_8)), path, 0600);
            return path;
        }

        @Override
        public void close() {
            try {
                for (String p : cleanup) {
                    try {
                        if (ssh.exec(List.of("rm", "-f", "--", p), SHORT, log).exitCode() != 0) {
                            leftBehind.computeIfAbsent(hostKey(), k -> ConcurrentHashMap.newKeySet()).add(p);
                        }
                    } catch (RuntimeException e) {
                        leftBehind.computeIfAbsent(hostKey(), k -> ConcurrentHashMap.newKeySet()).add(p);
                        log.line("step", "could not remove " + p + " on " + host.name() + " (the next session there "
                                + "will): " + e.getMessage());
                    }
                }
            } finally {
                ssh.close();
            }
        }
    }

    static String pgpassField(String s) {
        return s.replace("\\", "\\\\").replace(":", "\\:");
    }
}
