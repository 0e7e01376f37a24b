package io.opsflow.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A REAL OpenSSH server ({@code /usr/sbin/sshd}, Debian package openssh-server) started for a test on a free
 * loopback port, with a generated ed25519 host key and a generated client key pair that is authorized for the
 * current user. Everything lives in a temporary directory; {@link #close()} kills the server (and the session
 * processes it forked) and deletes the directory.
 *
 * <pre>{@code
 * try (OpenSshd sshd = OpenSshd.start()) {
 *     // ssh -p sshd.port() -i sshd.clientPrivateKey() -o UserKnownHostsFile=sshd.knownHostsFile() sshd.user()@127.0.0.1
 * }
 * }</pre>
 *
 * <p>Skips the test (laptop) or fails it (CI=true) when sshd or ssh-keygen is missing, see {@link RealComponent}.
 * Works as root (tests in containers: {@code PermitRootLogin prohibit-password}, and the privilege separation
 * directory {@code /run/sshd} is created when missing) and as an ordinary user (then only that user can log in).
 * Subsystem {@code sftp} is served by {@code internal-sftp}.
 *
 * <p>Sessions start with {@code SHLVL=1}: Debian's bash sources {@code ~/.bashrc} for commands run by sshd only at
 * shell level 1, so the test user's interactive setup (on CI machines a pyenv init costing half a second per
 * command) stays out of every command the tests run over SSH, as on a managed host whose deploy user has none.
 */
public final class OpenSshd implements AutoCloseable {
    private static final String INSTALL_HINT = "apt-get install openssh-server";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(20);

    private final Path dir;
    private final Path sshdBinary;
    private final String user;
    private final Path hostKey;
    private final Path clientKey;
    private final Path authorizedKeys;
    private final Path knownHosts;
    private final Path logFile;
    private final Path config;
    private int port;
    /** HOME of the sessions (SetEnv), or null: the user's own. */
    private Path home;
    private Process process;

    private OpenSshd(Path sshdBinary) throws IOException {
        this.sshdBinary = sshdBinary;
        this.dir = Files.createTempDirectory("opsflow-sshd-");
        this.user = currentUser();
        this.hostKey = dir.resolve("ssh_host_ed25519_key");
        this.clientKey = dir.resolve("client_ed25519");
        this.authorizedKeys = dir.resolve("authorized_keys");
        this.knownHosts = dir.resolve("known_hosts");
        this.logFile = dir.resolve("sshd.log");
        this.config = dir.resolve("sshd_config");
    }

    /** Starts a fresh sshd (skips/fails the test when openssh-server is not installed). */
    public static OpenSshd start() {
        return start(null);
    }

    /**
     * Starts a fresh sshd whose sessions see {@code home} as HOME (null: the user's own), for code that finds its
     * files through the login's HOME without touching the real one.
     */
    public static OpenSshd start(Path home) {
        Path sshd = RealComponent.require("sshd", INSTALL_HINT, "/usr/sbin/sshd");
        RealComponent.require("ssh-keygen", "apt-get install openssh-client", "/usr/bin/ssh-keygen");
        OpenSshd server;
        try {
            server = new OpenSshd(sshd);
            server.home = home;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            server.boot();
            return server;
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
        }
    }

    private void boot() throws IOException {
        generateKeyPair(hostKey, "", "opsflow-test-host");
        generateKeyPair(clientKey, "", "opsflow-test-client");
        Files.writeString(authorizedKeys, Files.readString(pub(clientKey)), StandardCharsets.UTF_8);
        ensurePrivilegeSeparationDirectory();

        IOException lastFailure = null;
        for (int attempt = 1; attempt <= 5; attempt++) {
            port = freePort();
            writeConfig();
            Files.writeString(knownHosts, "[127.0.0.1]:" + port + " " + hostKeyPublicLine() + "\n",
                    StandardCharsets.UTF_8);
            ProcessBuilder pb = new ProcessBuilder(sshdBinary.toString(), "-D", "-e", "-f", config.toString());
            pb.redirectErrorStream(true);
            pb.redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
            pb.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
            process = pb.start();
            try {
                awaitBanner();
                return;
            } catch (IOException e) {
                // most likely the port was taken between freePort() and sshd's bind: try another one
                lastFailure = e;
                stopProcess();
            }
        }
        throw new IOException("sshd did not start; last failure: " + lastFailure.getMessage() + "\n--- sshd log:\n"
                + log(), lastFailure);
    }

    private void writeConfig() throws IOException {
        List<String> lines = new ArrayList<>(List.of(
                "# generated by io.opsflow.testsupport.OpenSshd",
                "ListenAddress 127.0.0.1",
                "Port " + port,
                "HostKey " + hostKey,
                "PidFile " + dir.resolve("sshd.pid"),
                "AuthorizedKeysFile " + authorizedKeys,
                "PubkeyAuthentication yes",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "UsePAM no",
                "StrictModes no",
                "PermitRootLogin prohibit-password",
                "AllowUsers " + user,
                "Subsystem sftp internal-sftp",
                "SetEnv SHLVL=1" + (home == null ? "" : " HOME=" + home.toAbsolutePath()),
                "LogLevel VERBOSE",
                "MaxStartups 100",
                "MaxSessions 50",
                "PrintMotd no",
                "UseDNS no",
                "X11Forwarding no",
                "AllowTcpForwarding no"));
        Files.write(config, lines, StandardCharsets.UTF_8);
    }

    /** Waits until the port accepts and sends an SSH identification string (or the process dies). */
    private void awaitBanner() throws IOException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        IOException last = null;
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("sshd exited with " + process.exitValue());
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                s.setSoTimeout(2000);
                InputStream in = s.getInputStream();
                byte[] buf = new byte[8];
                int n = in.readNBytes(buf, 0, 4);
                if (n == 4 && new String(buf, 0, 4, StandardCharsets.US_ASCII).equals("SSH-")) {
                    return;
                }
                last = new IOException("port " + port + " answered but not with an SSH banner");
            } catch (IOException e) {
                last = e;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for sshd", e);
            }
        }
        throw new IOException("sshd did not accept connections on 127.0.0.1:" + port + " within " + START_TIMEOUT
                + (last == null ? "" : " (" + last.getMessage() + ")"));
    }

    /** sshd running as root needs its (empty, root-owned) privilege separation directory. */
    private static void ensurePrivilegeSeparationDirectory() throws IOException {
        if (!"root".equals(currentUser())) {
            return;
        }
        Path privsep = Path.of("/run/sshd");
        if (!Files.isDirectory(privsep)) {
            try {
                Files.createDirectories(privsep);
            } catch (java.nio.file.FileAlreadyExistsException ignored) {
                // created concurrently by another test JVM
            }
            Files.setPosixFilePermissions(privsep, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(false);
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            return s.getLocalPort();
        }
    }

    private static String currentUser() {
        String u = System.getProperty("user.name");
        if (u == null || u.isBlank() || "?".equals(u)) {
            u = System.getenv("USER");
        }
        if (u == null || u.isBlank()) {
            throw new IllegalStateException("cannot determine the current user name");
        }
        return u;
    }

    /**
     * Generates an ed25519 key pair with ssh-keygen: {@code privateKey} and {@code privateKey + ".pub"}.
     * {@code passphrase} may be empty. Handy for tests that need a second (unauthorized / wrong host) key or a
     * passphrase-protected key (then {@link #authorize(Path)} its public half).
     */
    public static void generateKeyPair(Path privateKey, String passphrase, String comment) throws IOException {
        run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", comment, "-f",
                privateKey.toString()));
    }

    private static void run(List<String> argv) throws IOException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("timed out: " + argv.get(0));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + argv.get(0), e);
        }
        if (p.exitValue() != 0) {
            throw new IOException(argv.get(0) + " exited " + p.exitValue() + ": " + out);
        }
    }

    private static Path pub(Path privateKey) {
        return privateKey.resolveSibling(privateKey.getFileName() + ".pub");
    }

    /** Adds another public key (file with one {@code ssh-… AAAA… comment} line) to authorized_keys. */
    public void authorize(Path publicKeyFile) throws IOException {
        Files.writeString(authorizedKeys, Files.readString(publicKeyFile), StandardCharsets.UTF_8,
                StandardOpenOption.APPEND);
    }

    /** The loopback port sshd listens on (host is always 127.0.0.1). */
    public int port() {
        return port;
    }

    public String host() {
        return "127.0.0.1";
    }

    /** The user that may log in: the user running the test (root in containers). */
    public String user() {
        return user;
    }

    /** The host's public key as {@code ssh-ed25519 AAAA…} (no comment). */
    public String hostKeyPublicLine() {
        try {
            String[] parts = Files.readString(pub(hostKey)).trim().split("\\s+");
            return parts[0] + " " + parts[1];
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A known_hosts file holding exactly {@code [127.0.0.1]:<port> <host key>}. */
    public Path knownHostsFile() {
        return knownHosts;
    }

    /** The unencrypted ed25519 private key (OpenSSH format) authorized for {@link #user()}. */
    public Path clientPrivateKey() {
        return clientKey;
    }

    /** The temporary directory holding keys, config and log (deleted by {@link #close()}). */
    public Path directory() {
        return dir;
    }

    /** sshd's own log (-e, LogLevel VERBOSE) so far: attach it to assertion messages. */
    public String log() {
        try {
            return Files.exists(logFile) ? Files.readString(logFile, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "(cannot read sshd log: " + e.getMessage() + ")";
        }
    }

    private void stopProcess() {
        Process p = process;
        if (p == null) {
            return;
        }
        // the per-connection sshd processes are children of the listener: kill them too
        List<ProcessHandle> children = p.toHandle().descendants().toList();
        p.destroy();
        children.forEach(ProcessHandle::destroy);
        try {
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
        }
        children.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
        process = null;
    }

    @Override
    public void close() {
        stopProcess();
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort cleanup of a temp dir
                }
            });
        } catch (IOException ignored) {
            // best effort cleanup of a temp dir
        }
    }

    @Override
    public String toString() {
        return "OpenSshd[" + user + "@127.0.0.1:" + port + "]";
    }
}
