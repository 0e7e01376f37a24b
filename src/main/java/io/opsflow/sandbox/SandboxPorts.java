package io.opsflow.sandbox;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Which TCP ports on this machine the sandbox can use, and who holds the others. "Free" means what matters to an
 * application instance: a server could listen on {@code 127.0.0.1:<port>} right now (a listener on 0.0.0.0 or :: holds
 * the port too). The holder of a port is found on Linux through {@code /proc/net/tcp{,6}} (the listening socket's
 * inode) and {@code /proc/<pid>/fd} (the process that has it open); a process of another user cannot be seen that way
 * and is named by its uid, anything else as "another process".
 */
final class SandboxPorts {
    private static final Path PROC = Path.of("/proc");
    private static final int MAX_COMMAND = 160;

    private SandboxPorts() {
    }

    /** Whether a server could listen on 127.0.0.1:{@code port} now. */
    static boolean free(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true); // as the applications do: a connection in TIME_WAIT does not hold a port
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The first port of {@code [from, to)} that is not {@link #free}; empty when all are. */
    static OptionalInt firstHeld(int from, int to) {
        for (int port = from; port < to; port++) {
            if (!free(port)) {
                return OptionalInt.of(port);
            }
        }
        return OptionalInt.empty();
    }

    /** The process listening on a port; {@code pid} -1: not visible (another user's), {@code uid} -1: unknown. */
    record Holder(long pid, String command, int uid) {
        /** "pid 4242 (python3 -m http.server 20101)", "a process of uid 1001", or "another process". */
        String describe() {
            if (pid > 0) {
                return "pid " + pid + (command.isEmpty() ? "" : " (" + command + ")");
            }
            return uid >= 0 ? "a process of uid " + uid + " (not visible to this user)" : "another process";
        }
    }

    /** What {@link Holder#describe()} says about the holder of {@code port}, "another process" when unknown. */
    static String describeHolder(int port) {
        return holder(port).map(Holder::describe).orElse("another process");
    }

    /** The process listening on {@code port}, when this machine tells (Linux /proc). */
    static Optional<Holder> holder(int port) {
        Set<Long> inodes = new HashSet<>();
        int uid = -1;
        for (String table : new String[] {"net/tcp", "net/tcp6"}) {
            Path file = PROC.resolve(table);
            if (!Files.isReadable(file)) {
                continue;
            }
            try {
                for (String line : Files.readAllLines(file, StandardCharsets.US_ASCII)) {
                    Listener l = parseListener(line, port);
                    if (l != null) {
                        inodes.add(l.inode());
                        uid = l.uid();
                    }
                }
            } catch (IOException e) {
                // not readable after all: no holder to name
            }
        }
        if (inodes.isEmpty()) {
            return Optional.empty();
        }
        long pid = pidWithSocket(inodes);
        return Optional.of(new Holder(pid, pid > 0 ? command(pid) : "", uid));
    }

    /** A listening socket from a line of /proc/net/tcp or tcp6. */
    record Listener(int port, int uid, long inode) {
    }

    /**
     * Parses one line of {@code /proc/net/tcp} or {@code /proc/net/tcp6}
     * ({@code "  0: 0100007F:4E20 00000000:0000 0A ... uid timeout inode ..."}); the listener on {@code port}, else
     * null (header, other port, or not in state LISTEN = 0A).
     */
    static Listener parseListener(String line, int port) {
        String[] f = line.trim().split("\\s+");
        if (f.length < 10 || !f[0].endsWith(":") || !"0A".equals(f[3])) {
            return null;
        }
        int colon = f[1].lastIndexOf(':');
        if (colon < 0) {
            return null;
        }
        try {
            int localPort = Integer.parseInt(f[1].substring(colon + 1), 16);
            if (localPort != port) {
                return null;
            }
            return new Listener(localPort, Integer.parseInt(f[7]), Long.parseLong(f[9]));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** The first process that has one of the sockets open; -1 when none visible. */
    private static long pidWithSocket(Set<Long> inodes) {
        Set<String> links = new HashSet<>();
        inodes.forEach(i -> links.add("socket:[" + i + "]"));
        try (Stream<Path> procs = Files.list(PROC)) {
            for (Path p : (Iterable<Path>) procs::iterator) {
                String name = p.getFileName().toString();
                if (!name.matches("[0-9]+")) {
                    continue;
                }
                try (DirectoryStream<Path> fds = Files.newDirectoryStream(p.resolve("fd"))) {
                    for (Path fd : fds) {
                        try {
                            if (links.contains(Files.readSymbolicLink(fd).toString())) {
                                return Long.parseLong(name);
                            }
                        } catch (IOException e) {
                            // closed meanwhile
                        }
                    }
                } catch (IOException | SecurityException e) {
                    // another user's process, or it ended
                }
            }
        } catch (IOException e) {
            return -1;
        }
        return -1;
    }

    /** The command line of a process for a message: arguments separated by spaces, shortened; "" when unknown. */
    static String command(long pid) {
        String cmd = commandLine(pid).orElse("").replaceAll("\\p{Cntrl}", "?");
        return cmd.length() <= MAX_COMMAND ? cmd : cmd.substring(0, MAX_COMMAND - 1) + "…";
    }

    /** The whole command line of a live process, arguments separated by spaces; empty when unknown or ended. */
    static Optional<String> commandLine(long pid) {
        try {
            byte[] raw = Files.readAllBytes(PROC.resolve(Long.toString(pid)).resolve("cmdline"));
            String cmd = new String(raw, StandardCharsets.UTF_8).replace('\0', ' ').strip();
            if (!cmd.isEmpty()) {
                return Optional.of(cmd);
            }
        } catch (IOException e) {
            // no /proc (not Linux) or the process ended: ask the JDK
        }
        return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).flatMap(h -> h.info().commandLine());
    }
}
