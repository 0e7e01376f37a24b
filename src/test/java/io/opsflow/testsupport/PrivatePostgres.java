package io.opsflow.testsupport;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A PostgreSQL server of the test's own (Debian's postgresql binaries, run as the {@code postgres} user), on a free
 * loopback port below the ephemeral range, so a test can stop and start it without touching the machine's shared
 * server. Needs root (to run as {@code postgres}); elsewhere it skips loudly ({@link RealComponent}), and fails
 * under CI.
 */
public final class PrivatePostgres implements AutoCloseable {
    private final Path bin;
    private final Path dir;
    private final int port;

    private PrivatePostgres(Path bin, Path dir, int port) {
        this.bin = bin;
        this.dir = dir;
        this.port = port;
    }

    public static PrivatePostgres start() {
        Optional<Path> bin = binaries();
        boolean root = "root".equals(System.getProperty("user.name"));
        RealComponent.available(bin.isPresent() && root && RealComponent.which("runuser", "/usr/sbin/runuser")
                .isPresent(), "a private PostgreSQL server (Debian package postgresql, run as root: initdb/pg_ctl "
                + "as the postgres user through runuser)");
        try {
            Path dir = Files.createTempDirectory("opsflow-pg-");
            UserPrincipal postgres = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
            Files.setOwner(dir, postgres);
            PrivatePostgres pg = new PrivatePostgres(bin.get(), dir, freePort());
            pg.run(List.of(pg.bin.resolve("initdb").toString(), "-D", pg.data(), "-A", "trust", "-U", "postgres",
                    "--no-sync"), 120);
            pg.startServer();
            return pg;
        } catch (IOException e) {
            throw new IllegalStateException("cannot create a private PostgreSQL", e);
        }
    }

    static Optional<Path> binaries() {
        Path root = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(root)) {
            return Optional.empty();
        }
        try (Stream<Path> versions = Files.list(root)) {
            return versions.map(v -> v.resolve("bin")).filter(b -> Files.isExecutable(b.resolve("pg_ctl"))
                    && Files.isExecutable(b.resolve("initdb")))
                    .max(Comparator.comparing(b -> Integer.parseInt(b.getParent().getFileName().toString()
                            .replaceAll("\\D", "0"))));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    static int freePort() {
        for (int i = 0; i < 200; i++) {
            int p = 15000 + ThreadLocalRandom.current().nextInt(0, 1000);
            try (ServerSocket s = new ServerSocket(p, 1, InetAddress.getLoopbackAddress())) {
                return p;
            } catch (IOException taken) {
                // next
            }
        }
        throw new IllegalStateException("no free port in 15000-15999");
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
    }

    private String data() {
        return dir.resolve("data").toString();
    }

    /** Starts the server and waits until it accepts connections. */
    public void startServer() {
        run(List.of(bin.resolve("pg_ctl").toString(), "-D", data(), "-l", dir.resolve("server.log").toString(),
                "-o", "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c fsync=off", "-w", "-t", "60",
                "start"), 90);
    }

    /** Stops the server at once ({@code immediate}: like a crash, connections cut, no checkpoint). */
    public void crash() {
        run(List.of(bin.resolve("pg_ctl").toString(), "-D", data(), "-m", "immediate", "-w", "stop"), 60);
    }

    private void run(List<String> command, int timeoutSeconds) {
        List<String> argv = new ArrayList<>(List.of("runuser", "-u", "postgres", "--"));
        argv.addAll(command);
        try {
            Process p = new ProcessBuilder(argv).directory(dir.toFile()).redirectErrorStream(true).start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " failed: " + new String(out)
                        + serverLog());
            }
        } catch (IOException e) {
            throw new IllegalStateException(String.join(" ", command) + " could not run", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private String serverLog() {
        try {
            return "\nserver.log:\n" + Files.readString(dir.resolve("server.log"));
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public void close() {
        try {
            crash();
        } catch (RuntimeException ignored) {
            // already stopped
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException ignored) {
            // temp dir
        }
    }
}
