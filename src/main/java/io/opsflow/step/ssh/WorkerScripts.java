package io.opsflow.step.ssh;

import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.opsflow.step.exec.StepLog;

/**
 * Runs a script from the repository's {@code workers/} directory ({@code opsflow.workers.dir}) on a host:
 * <ol>
 * <li>assembles it ({@link WorkerAssembly}: each {@code # @include lib/<name>.sh} line replaced by that file of
 * {@code workers/lib/}), so the host gets one self-contained file;</li>
 * <li>names its copy on the host by its content: {@code <remote-dir>/<script>-<sha256>}
 * ({@code opsflow.workers.remote-dir}, default {@code .opsflow/workers} relative to the login's home; the full 64 hex
 * digits of the SHA-256 of the assembled script). Two versions of a script (two opsflow nodes of different versions
 * during an upgrade, or a changed lib file) never share a path, and the content of a path never legitimately
 * changes. The whole digest, not a prefix: a remembered path then stands for exactly what the checksum comparison
 * proved (a 16-digit prefix would be 64 bits, within reach of a deliberate collision at 2<sup>32</sup> work), at the
 * price of a long file name (name at most 128 + 65 characters, well below the 255 of a file name);</li>
 * <li>compares that SHA-256 with {@code sha256sum} of the host's copy at that path;</li>
 * <li>uploads by SFTP only when they differ (to a temporary name, chmod 755, then {@code mv -f}: a concurrent run
 * never executes a half-written file), and checks the remote checksum again. A copy at the path that is there but
 * differs was changed on the host (its name says what it must contain): said in the step log, and replaced. After
 * an upload, copies of the same script with another digest, and temporary uploads of it, older than
 * {@value #OLD_VERSIONS_GRACE_MINUTES} minutes that no running worker holds are removed (every worker holds a shared
 * {@code flock} on its own file while it runs, workers/lib/common.sh; the sweep takes an exclusive one, as the
 * credentials sweep of the database hosts does). A node that still uses a removed version uploads it again;</li>
 * <li>remembers, per pooled connection, that the host has this exact script: a later run of it on the same
 * connection within {@code opsflow.workers.verified-for} (default {@value #DEFAULT_VERIFIED_FOR_PROPERTY}) skips
 * the {@code sha256sum} round trip. Safe by default because of the content-addressed path: no other writer puts
 * other content there, so what the memo can miss is only a copy that was removed (the run exits 126 or 127 and the
 * host's copy is missing or differs: uploaded again and run once more; that run never started) or edited by hand
 * on the host (noticed at the next check: on every new connection, and on a busy connection after the period);
 * {@code PT0S} checks before every run;</li>
 * <li>executes it with the arguments quoted through {@link ShellQuote};</li>
 * <li>parses the LAST non-empty stdout line as a JSON object: the step's output. Anything else is a
 * {@link WorkerOutputException} (a broken worker, fix the script).</li>
 * </ol>
 * A non-zero exit is returned (with the worker's JSON), not thrown: the caller maps it to its outcome.
 */
@Component
public class WorkerScripts {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    private static final Pattern REMOTE_DIR = Pattern.compile("[A-Za-z0-9._/-]+");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Duration HOUSEKEEPING_TIMEOUT = Duration.ofMinutes(2);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();

    /** How long old versions of a script stay on a host after a newer one arrived there (see the class doc). */
    static final int OLD_VERSIONS_GRACE_MINUTES = 60;
    static final String DEFAULT_VERIFIED_FOR_PROPERTY = "PT10M";
    static final Duration DEFAULT_VERIFIED_FOR = Duration.parse(DEFAULT_VERIFIED_FOR_PROPERTY);
    /** {@code find -name} pattern of 64 lower-case hex digits: the digest part of a remote copy's name. */
    private static final String HEX64_GLOB = "[0-9a-f]".repeat(64);

    private final SshConnections connections;
    private final WorkerAssembly assembly;
    private final String remoteDir;
    private final Duration verifiedFor;
    /** (connection, remote path, sha256) → when the host was last seen to have it (System.nanoTime). */
    private final Map<Verified, Long> verified = new ConcurrentHashMap<>();
    private volatile long lastPrune = System.nanoTime();

    private record Verified(Object connection, String remote, String sha256) {
    }

    @Autowired
    public WorkerScripts(SshConnections connections, @Value("${opsflow.workers.dir:workers}") String workersDir,
                         @Value("${opsflow.workers.remote-dir:.opsflow/workers}") String remoteDir,
                         @Value("${opsflow.workers.verified-for:" + DEFAULT_VERIFIED_FOR_PROPERTY + "}") Duration verifiedFor) {
        this(connections, Path.of(workersDir), remoteDir, verifiedFor);
    }

    public WorkerScripts(SshConnections connections, Path workersDir, String remoteDir) {
        this(connections, workersDir, remoteDir, DEFAULT_VERIFIED_FOR);
    }

    public WorkerScripts(SshConnections connections, Path workersDir, String remoteDir, Duration verifiedFor) {
        if (verifiedFor == null || verifiedFor.isNegative()) {
            throw new IllegalArgumentException("opsflow.workers.verified-for must be zero or positive: "
                    + verifiedFor);
        }
        this.verifiedFor = verifiedFor;
        this.connections = connections;
        this.assembly = new WorkerAssembly(workersDir);
        String d = remoteDir == null || remoteDir.isBlank() ? ".opsflow/workers" : remoteDir.strip();
        if (d.startsWith("~/")) {
            d = d.substring(2); // exec and SFTP both start in the login's home directory
        }
        while (d.length() > 1 && d.endsWith("/")) {
            d = d.substring(0, d.length() - 1);
        }
        if (!REMOTE_DIR.matcher(d).matches() || List.of(d.split("/")).contains("..")) {
            throw new IllegalArgumentException("opsflow.workers.remote-dir must be a plain path (letters, digits,"
                    + " . _ - /, no '..'), absolute or relative to the login's home: '" + remoteDir + "'");
        }
        this.remoteDir = d;
    }

    public Path workersDir() {
        return assembly.workersDir();
    }

    /** The directory of the workers on the hosts (relative: to the login's home directory). */
    public String remoteDir() {
        return remoteDir;
    }

    /** How long a pooled connection trusts a script it checked ({@code opsflow.workers.verified-for}). */
    public Duration verifiedFor() {
        return verifiedFor;
    }

    /** How the scripts are assembled from {@link #workersDir()} (what {@link #run} uploads). */
    public WorkerAssembly assembly() {
        return assembly;
    }

    /**
     * Where the current version of a worker lives on the hosts, {@code <remote-dir>/<script>-<sha256 of the assembled
     * script>} (relative paths are relative to the login's home directory).
     */
    public String remotePath(String script) {
        return remotePath(script, sha256(assembled(script)));
    }

    private String remotePath(String script, String sha256) {
        return remoteDir + "/" + script + "-" + sha256;
    }

    /** Connects to {@code target}, runs the worker and disconnects. */
    public WorkerResult run(SshTarget target, String script, List<String> args, Duration timeout, StepLog log) {
        byte[] local = assembled(script);
        checkArgs(args);
        try (SshSession session = connections.open(target)) {
            return run(session, local, script, args, timeout, log);
        }
    }

    /** Runs the worker on an open session (e.g. inside {@link SshFanOut}, reusing the host's connection). */
    public WorkerResult run(SshSession session, String script, List<String> args, Duration timeout, StepLog log) {
        byte[] local = assembled(script);
        checkArgs(args);
        return run(session, local, script, args, timeout, log);
    }

    private WorkerResult run(SshSession session, byte[] local, String script, List<String> args, Duration timeout,
                             StepLog log) {
        String sha = sha256(local);
        String remote = remotePath(script, sha);
        Verified key = new Verified(session.connection(), remote, sha);
        boolean remembered = remembered(key, script, session, log);
        if (!remembered) {
            ensureUploaded(session, local, script, remote, log);
        }
        List<String> argv = new ArrayList<>();
        argv.add(remote.contains("/") ? remote : "./" + remote);
        argv.addAll(args);
        SshResult r = session.exec(argv, timeout, log);
        if (remembered && (r.exitCode() == 126 || r.exitCode() == 127)) {
            // not found / not executable: the host may have lost the script since it was verified (then nothing
            // ran); a script of its own that exits 127 is left as it is
            verified.remove(key);
            if (ensureUploaded(session, local, script, remote, log)) {
                log.line("step", "worker " + script + " was gone from " + session.target().display()
                        + " (exit " + r.exitCode() + "); uploaded again, running it now");
                r = session.exec(argv, timeout, log);
            }
        }
        return new WorkerResult(r.exitCode(), lastLineJson(session, script, r), r.stdout());
    }

    /** Whether this connection saw the host have exactly this script within verified-for (then says so in the log). */
    private boolean remembered(Verified key, String script, SshSession session, StepLog log) {
        Long at = verified.get(key);
        long now = System.nanoTime();
        if (at == null || verifiedFor.isZero() || now - at > verifiedFor.toNanos()) {
            return false;
        }
        log.line("step", "worker " + script + " is up to date on " + session.target().display() + " (sha256 "
                + key.sha256() + ", verified on this connection " + (now - at) / 1_000_000 + " ms ago); not checking"
                + " again");
        return true;
    }

    private void remember(SshSession session, String remote, String sha256) {
        if (verifiedFor.isZero()) {
            return;
        }
        long now = System.nanoTime();
        if (now - lastPrune > verifiedFor.toNanos()) { // entries of closed connections go within one period
            lastPrune = now;
            verified.values().removeIf(t -> now - t > verifiedFor.toNanos());
        }
        verified.put(new Verified(session.connection(), remote, sha256), now);
    }

    /**
     * Uploads the assembled worker unless the host already has this exact version. Returns true when it uploaded.
     */
    public boolean ensureUploaded(SshSession session, String script, StepLog log) {
        byte[] local = assembled(script);
        return ensureUploaded(session, local, script, remotePath(script, sha256(local)), log);
    }

    private boolean ensureUploaded(SshSession session, byte[] local, String script, String remote, StepLog log) {
        String localSha = sha256(local);
        String host = session.target().display();
        String remoteSha = remoteSha256(session, remote, log);
        if (localSha.equals(remoteSha)) {
            log.line("step", "worker " + script + " is up to date on " + host + " (sha256 " + localSha
                    + "); not uploading");
            remember(session, remote, localSha);
            return false;
        }
        if (remoteSha != null) {
            log.line("step", "worker " + script + ": the copy on " + host + " at " + remote + " has sha256 "
                    + remoteSha + ", not the one its name says: it was changed on the host; replacing it");
        }
        log.line("step", "uploading worker " + script + " to " + host + ":" + remote + " (sha256 " + localSha
                + (remoteSha == null ? ", not present there" : ", remote had " + remoteSha) + ")");
        byte[] rnd = new byte[6];
        RANDOM.nextBytes(rnd);
        String tmp = remoteDir + "/." + script + "-" + localSha + ".upload-" + HexFormat.of().formatHex(rnd);
        session.upload(local, script, tmp, 0755);
        session.execChecked(List.of("mv", "-f", "--", tmp, remote), HOUSEKEEPING_TIMEOUT, log);
        String after = remoteSha256(session, remote, log);
        if (!localSha.equals(after)) {
            throw new SshException("worker " + script + " uploaded to " + host + ":" + remote
                    + " but its sha256 there is " + after + ", expected " + localSha
                    + " (disk full? another process writing it?)");
        }
        remember(session, remote, localSha);
        removeOldVersions(session, script, localSha, log);
        return true;
    }

    /**
     * Removes this script's other versions (and its temporary uploads) on the host that are older than the grace
     * period and that no running worker holds: {@code flock -n -x} fails on a file a worker holds its shared lock on,
     * and a host without flock keeps everything. Best effort: a failure is logged, the run goes on.
     */
    private void removeOldVersions(SshSession session, String script, String keepSha, StepLog log) {
        String versions = script + "-" + HEX64_GLOB;
        SshResult r = session.exec(List.of("find", remoteDir, "-maxdepth", "1", "-type", "f",
                "(", "-name", versions, "!", "-name", script + "-" + keepSha, "-o", "-name", "." + versions + ".upload-*",
                ")", "-mmin", "+" + OLD_VERSIONS_GRACE_MINUTES,
                "-exec", "flock", "-n", "-x", "{}", "rm", "-f", "--", "{}", ";"), HOUSEKEEPING_TIMEOUT, log);
        if (r.exitCode() != 0) {
            log.line("step", "worker " + script + ": removing its old versions on " + session.target().display()
                    + " failed (exit " + r.exitCode() + "); they stay until the next upload");
        }
    }

    /** sha256 of the remote file, or null when it does not exist / is unreadable. */
    private static String remoteSha256(SshSession session, String remote, StepLog log) {
        SshResult r = session.exec(List.of("sha256sum", "--", remote), HOUSEKEEPING_TIMEOUT, log);
        if (r.exitCode() == 127) {
            throw new SshException("sha256sum is not installed on " + session.target().display()
                    + " (needed to compare worker scripts); install coreutils there");
        }
        if (r.exitCode() != 0) {
            return null;
        }
        String first = r.stdout().strip().split("\\s+", 2)[0].toLowerCase();
        return SHA256.matcher(first).matches() ? first : null;
    }

    private static JsonNode lastLineJson(SshSession session, String script, SshResult r) {
        String last = lastNonEmptyLine(r.stdout());
        String where = "worker " + script + " on " + session.target().display() + " exited " + r.exitCode();
        String rule = " Workers must print exactly one JSON object as the last line of stdout (diagnostics go to"
                + " stderr); fix the script.";
        String stderr = r.stderrTail().isBlank() ? "" : " stderr tail: " + abbreviate(r.stderrTail(), 1000);
        if (last == null) {
            throw new WorkerOutputException(where + " and printed nothing on stdout." + rule + stderr,
                    r.exitCode(), null);
        }
        try {
            JsonNode node = JSON.readTree(last);
            if (node == null || !node.isObject()) {
                throw new WorkerOutputException(where + " but its last stdout line is not a JSON object: '"
                        + abbreviate(last, 300) + "'." + rule + stderr, r.exitCode(), null);
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new WorkerOutputException(where + " but its last stdout line is not JSON: '" + abbreviate(last, 300)
                    + "' (" + e.getOriginalMessage() + ")." + rule + stderr, r.exitCode(), e);
        }
    }

    static String lastNonEmptyLine(String stdout) {
        String[] lines = stdout.split("\n");
        for (int i = lines.length - 1; i >= 0; i--) {
            String l = lines[i].strip();
            if (!l.isEmpty()) {
                return l;
            }
        }
        return null;
    }

    private static String abbreviate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max) + "…";
    }

    /** The script as the host gets it, read and assembled once per run: what is checksummed is what is uploaded. */
    private byte[] assembled(String script) {
        checkName(script);
        return assembly.assemble(script);
    }

    private static void checkName(String script) {
        if (script == null || !NAME.matcher(script).matches()) {
            throw new IllegalArgumentException("worker script name must be a plain file name ([A-Za-z0-9._-],"
                    + " no path): '" + script + "'");
        }
    }

    private static void checkArgs(List<String> args) {
        if (args == null) {
            throw new IllegalArgumentException("worker args must not be null (use an empty list)");
        }
        for (String a : args) {
            if (a == null) {
                throw new IllegalArgumentException("worker args must not contain null: " + args);
            }
            ShellQuote.quote(a); // rejects NUL before anything is uploaded or run
        }
    }

    static String sha256(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
