package io.opsflow.sandbox;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PublicKey;
import java.time.Duration;
import java.util.List;

import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.file.FileSystemFactory;
import org.apache.sshd.common.file.nativefs.NativeFileSystemFactory;
import org.apache.sshd.common.session.SessionContext;
import org.apache.sshd.core.CoreModuleProperties;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.auth.pubkey.UserAuthPublicKeyFactory;
import org.apache.sshd.server.config.keys.AuthorizedKeysAuthenticator;
import org.apache.sshd.server.keyprovider.SimpleGeneratorHostKeyProvider;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.command.Command;
import org.apache.sshd.sftp.server.SftpSubsystem;
import org.apache.sshd.sftp.server.SftpSubsystemFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One simulated host: an Apache MINA sshd on 127.0.0.1 with exec (commands run as local processes through
 * {@code /bin/sh -c}, HOME and cwd = the host root) and SFTP on the native file system (default directory = the host
 * root, absolute paths work as on a real host). Public-key authentication only, against
 * {@code <root>/.ssh/authorized_keys} and the one login name; the host key is generated once and kept in
 * {@code hostKeyFile}.
 */
public final class SandboxHost implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SandboxHost.class);

    private final String name;
    private final Path root;
    private final Path hostKeyFile;
    private final String user;
    private final String path;
    private SshServer server;
    private volatile Hooks hooks = Hooks.NONE;

    /**
     * Where fault injection plugs in (io.opsflow.sandbox.faults): asked for every accepted connection and every exec
     * request. {@link #NONE} changes nothing.
     */
    public interface Hooks {
        Hooks NONE = new Hooks() {
        };

        /** true: the connection is closed at once (the host refuses SSH). */
        default boolean refuseConnection(String host) {
            return false;
        }

        /**
         * The command that serves an exec request: {@code normal} runs {@code command} as the host would;
         * {@code run} runs another command string the same way (a local process in the host root).
         */
        default Command command(String host, ChannelSession channel, String command, Command normal,
                                java.util.function.Function<String, Command> run) {
            return normal;
        }
    }

    public void hooks(Hooks hooks) {
        this.hooks = hooks == null ? Hooks.NONE : hooks;
    }

    /** Closes every open SSH session of this host (its processes are killed as when a client goes away). */
    public synchronized void closeSessions() {
        if (server != null) {
            server.getActiveSessions().forEach(session -> session.close(true));
        }
    }

    public SandboxHost(String name, Path root, Path hostKeyFile, String user) {
        this(name, root, hostKeyFile, user, SandboxProperties.DEFAULT_HOST_PATH);
    }

    /** {@code path}: the PATH of the commands the host runs (a login session's system default). */
    public SandboxHost(String name, Path root, Path hostKeyFile, String user, String path) {
        this.name = name;
        this.root = root.toAbsolutePath().normalize();
        this.hostKeyFile = hostKeyFile.toAbsolutePath().normalize();
        this.user = user;
        this.path = path;
    }

    /** Creates the host root and its authorized_keys (when missing) holding {@code authorizedKey}. */
    public void prepare(String authorizedKey) throws IOException {
        Files.createDirectories(root);
        Path ssh = root.resolve(".ssh");
        Files.createDirectories(ssh);
        Path ak = ssh.resolve("authorized_keys");
        String line = authorizedKey.strip() + "\n";
        if (!Files.exists(ak) || !Files.readString(ak).contains(authorizedKey.strip())) {
            Files.writeString(ak, (Files.exists(ak) ? Files.readString(ak) : "") + line);
        }
        Files.createDirectories(hostKeyFile.getParent());
    }

    /**
     * Starts the SSH server on {@code preferredPort} (0 = any free port); when the preferred port is taken, falls back
     * to a free one (the caller records the actual {@link #port()} and rewrites known_hosts).
     */
    public synchronized void start(int preferredPort) throws IOException {
        if (server != null) {
            return;
        }
        try {
            server = startOn(preferredPort);
        } catch (BindException e) {
            if (preferredPort == 0) {
                throw e;
            }
            LOG.warn("sandbox host {}: port {} is taken, using a free port instead", name, preferredPort);
            server = startOn(0);
        }
        LOG.info("sandbox host {} listening on 127.0.0.1:{} (root {})", name, server.getPort(), root);
    }

    private SshServer startOn(int port) throws IOException {
        SshServer s = SshServer.setUpDefaultServer();
        s.setHost("127.0.0.1");
        s.setPort(port);
        SimpleGeneratorHostKeyProvider keys = new SimpleGeneratorHostKeyProvider(hostKeyFile);
        keys.setAlgorithm("EC");
        keys.setKeySize(256);
        keys.setOverwriteAllowed(false);
        s.setKeyPairProvider(keys);
        AuthorizedKeysAuthenticator authorized = new AuthorizedKeysAuthenticator(root.resolve(".ssh/authorized_keys"));
        s.setUserAuthFactories(List.of(UserAuthPublicKeyFactory.INSTANCE));
        s.setPublickeyAuthenticator((username, key, session) ->
                user.equals(username) && authorized.authenticate(username, key, session));
        s.setPasswordAuthenticator(null);
        s.setKeyboardInteractiveAuthenticator(null);
        s.setGSSAuthenticator(null);
        s.setHostBasedAuthenticator(null);
        s.setCommandFactory((channel, command) -> hooks.command(name, channel, command,
                new LocalProcessCommand(name, root, user, path, command),
                other -> new LocalProcessCommand(name, root, user, path, other)));
        s.addSessionListener(new org.apache.sshd.common.session.SessionListener() {
            @Override
            public void sessionCreated(org.apache.sshd.common.session.Session session) {
                if (hooks.refuseConnection(name)) {
                    session.close(true); // the host refuses SSH: the connection is closed at once
                }
            }
        });
        s.setShellFactory(channel -> new LocalProcessCommand(name, root, user, path, null));
        s.setFileSystemFactory(new HomeFileSystemFactory(root));
        s.setSubsystemFactories(List.of(new HomeSftpSubsystemFactory(root)));
        CoreModuleProperties.IDLE_TIMEOUT.set(s, Duration.ofHours(1));
        CoreModuleProperties.NIO2_READ_TIMEOUT.set(s, Duration.ZERO);
        CoreModuleProperties.AUTH_TIMEOUT.set(s, Duration.ofSeconds(30));
        try {
            s.start();
        } catch (IOException | RuntimeException e) {
            try {
                s.stop(true);
            } catch (IOException ignored) {
                // not started
            }
            throw e;
        }
        return s;
    }

    public synchronized void stop() {
        if (server == null) {
            return;
        }
        try {
            server.stop(true);
        } catch (IOException e) {
            LOG.warn("sandbox host {}: stopping the SSH server failed: {}", name, e.toString());
        }
        server = null;
    }

    @Override
    public void close() {
        stop();
    }

    public synchronized boolean running() {
        return server != null && server.isStarted();
    }

    public synchronized int port() {
        if (server == null) {
            throw new IllegalStateException("sandbox host " + name + " is not running");
        }
        return server.getPort();
    }

    public String name() {
        return name;
    }

    public Path root() {
        return root;
    }

    public Path hostKeyFile() {
        return hostKeyFile;
    }

    /** The host's public key (generates the key pair on first use), e.g. for known_hosts. */
    public PublicKey hostPublicKey() {
        SimpleGeneratorHostKeyProvider keys = new SimpleGeneratorHostKeyProvider(hostKeyFile);
        keys.setAlgorithm("EC");
        keys.setKeySize(256);
        keys.setOverwriteAllowed(false);
        try {
            for (KeyPair kp : keys.loadKeys(null)) {
                return kp.getPublic();
            }
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot load the host key of sandbox host " + name + " from " + hostKeyFile
                    + ": " + e.getMessage(), e);
        }
        throw new IllegalStateException("no host key for sandbox host " + name + " in " + hostKeyFile);
    }

    /** The known_hosts line for this host at its current port. */
    public String knownHostsLine() {
        return "[127.0.0.1]:" + port() + " " + PublicKeyEntry.toString(hostPublicKey());
    }

    /** SFTP whose working directory is the host root (relative paths resolve there, as in OpenSSH's sftp-server). */
    private static final class HomeSftpSubsystemFactory extends SftpSubsystemFactory {
        private final Path home;

        HomeSftpSubsystemFactory(Path home) {
            this.home = home;
        }

        @Override
        public Command createSubsystem(ChannelSession channel) {
            return new SftpSubsystem(channel, this) {
                @Override
                public void setFileSystem(java.nio.file.FileSystem fileSystem) {
                    super.setFileSystem(fileSystem);
                    defaultDir = home;
                }

                @Override
                public Path getDefaultDirectory() {
                    return home;
                }
            };
        }
    }

    /** SFTP sees the real file system; the session starts in the host root (the user's home). */
    private static final class HomeFileSystemFactory implements FileSystemFactory {
        private final Path home;
        private final NativeFileSystemFactory delegate = new NativeFileSystemFactory();

        HomeFileSystemFactory(Path home) {
            this.home = home;
        }

        @Override
        public Path getUserHomeDir(SessionContext session) {
            return home;
        }

        @Override
        public java.nio.file.FileSystem createFileSystem(SessionContext session) throws IOException {
            try {
                return delegate.createFileSystem(session);
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
        }
    }
}
