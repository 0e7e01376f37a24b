package io.opsflow.sandbox;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The application instances installed on a sandbox host, read from the host's files in the layout
 * {@code release-activate.sh} makes ({@code apps/<app>/instances/<instance>/{instance.env,current,desired-state,
 * run/app.pid}}) — the fleet owns the host directories, as a hypervisor owns its guests' disks — and who holds an
 * instance's port when the fleet starts: nobody, the instance itself (a previous run of this sandbox left it running),
 * or something else.
 */
final class SandboxInstances {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(3);

    private SandboxInstances() {
    }

    /**
     * An installed instance: its port from {@code instance.env} (0 when missing), the version its {@code current} link
     * points to (null when none) and its desired state (null when never started or stopped).
     */
    record Installed(String host, String app, String instance, Path dir, int port, String version,
                     String desiredState) {
        /** "production-web-1 webapp blue". */
        String label() {
            return host + " " + app + " " + instance;
        }

        String key() {
            return app + "/" + instance;
        }
    }

    /** The instances installed under {@code hostRoot} (an instance directory with instance.env or a current link). */
    static List<Installed> installed(String host, Path hostRoot) {
        List<Installed> out = new ArrayList<>();
        Path apps = hostRoot.resolve("apps");
        if (!Files.isDirectory(apps)) {
            return out;
        }
        try (DirectoryStream<Path> appDirs = Files.newDirectoryStream(apps, Files::isDirectory)) {
            for (Path appDir : appDirs) {
                Path instances = appDir.resolve("instances");
                if (!Files.isDirectory(instances)) {
                    continue;
                }
                try (DirectoryStream<Path> instDirs = Files.newDirectoryStream(instances, Files::isDirectory)) {
                    for (Path dir : instDirs) {
                        Path env = dir.resolve("instance.env");
                        Path current = dir.resolve("current");
                        if (!Files.isRegularFile(env) && !Files.isSymbolicLink(current)) {
                            continue;
                        }
                        out.add(new Installed(host, appDir.getFileName().toString(), dir.getFileName().toString(),
                                dir, port(env), version(current), firstLine(dir.resolve("desired-state"))));
                    }
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the instances installed on " + host + " under " + apps
                    + ": " + e.getMessage(), e);
        }
        out.sort(Comparator.comparing(Installed::key));
        return out;
    }

    private static int port(Path instanceEnv) {
        try {
            for (String line : Files.readAllLines(instanceEnv, StandardCharsets.UTF_8)) {
                if (line.startsWith("PORT=")) {
                    String v = line.substring(5).strip();
                    return v.matches("[1-9][0-9]{0,4}") && Integer.parseInt(v) <= 65535 ? Integer.parseInt(v) : 0;
                }
            }
        } catch (IOException e) {
            // unreadable: no port
        }
        return 0;
    }

    private static String version(Path current) {
        try {
            Path target = Files.readSymbolicLink(current);
            return target.getFileName() == null ? null : target.getFileName().toString();
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
    }

    private static String firstLine(Path file) {
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            return lines.isEmpty() ? null : lines.get(0).strip();
        } catch (IOException e) {
            return null;
        }
    }

    // ------------------------------------------------------------------ who holds the port

    enum Verdict {
        /** Nothing listens on the port: the instance is started as usual. */
        FREE,
        /** The instance itself, from a previous run of this sandbox, serving its release and healthy: kept as it is. */
        ADOPT,
        /** The instance's own process (pid file and command line), but not answering as it should: restarted. */
        RESTART,
        /** Anything else: not ours to stop. */
        FOREIGN
    }

    /** {@code pid}: the instance's process (ADOPT, RESTART), else -1; {@code detail}: why, or who holds the port. */
    record Check(Verdict verdict, long pid, String detail) {
    }

    /**
     * Who holds {@code port}, which the fleet is about to start {@code installed} on ({@code installed} null: an
     * instance not installed yet). The instance is recognised by its identity, never by the port alone: the pid in
     * its {@code run/app.pid} is alive, runs a release from this host's {@code apps/<app>/releases/}, is the process
     * listening on the port (where /proc tells), and answers {@code GET /version} with its application, instance and
     * the version its {@code current} link points to, and {@code GET /health} with 2xx.
     */
    static Check check(Installed installed, int port) {
        long pid = installed == null ? -1 : ourPid(installed);
        if (SandboxPorts.free(port)) {
            return pid > 0 ? new Check(Verdict.RESTART, pid, "its process " + pid + " runs but does not listen on port "
                    + port) : new Check(Verdict.FREE, -1, "");
        }
        Optional<SandboxPorts.Holder> holder = SandboxPorts.holder(port);
        String holderText = holder.map(SandboxPorts.Holder::describe).orElse("another process");
        boolean heldByOthers = holder.map(h -> h.pid() != pid).orElse(false);
        if (pid <= 0 || heldByOthers) {
            return new Check(Verdict.FOREIGN, -1, holderText);
        }
        Answer a = probe(port);
        boolean self = installed.app().equals(a.application()) && installed.instance().equals(a.instance());
        if (self && installed.version() != null && installed.version().equals(a.version()) && a.healthy()) {
            return new Check(Verdict.ADOPT, pid, "pid " + pid + ", port " + port + ", " + a.version() + ", healthy");
        }
        if (self || holder.isPresent()) { // our pid listens there (or answers as the instance): ours to restart
            return new Check(Verdict.RESTART, pid, "its process " + pid + " on port " + port + " answers "
                    + a.describe() + ", expected " + installed.app() + " " + installed.instance() + " "
                    + installed.version() + " healthy");
        }
        return new Check(Verdict.FOREIGN, -1, holderText);
    }

    /** The pid in the instance's run/app.pid when that process is alive and runs a release of this host's app. */
    static long ourPid(Installed i) {
        Path pidFile = i.dir().resolve("run/app.pid");
        long pid;
        try {
            String s = Files.readString(pidFile, StandardCharsets.UTF_8).strip();
            if (!s.matches("[1-9][0-9]{0,9}")) {
                return -1;
            }
            pid = Long.parseLong(s);
        } catch (IOException e) {
            return -1;
        }
        String releases;
        try {
            releases = i.dir().getParent().getParent().toRealPath().resolve("releases") + "/";
        } catch (IOException e) {
            return -1;
        }
        return SandboxPorts.commandLine(pid).filter(cmd -> cmd.contains(releases)).isPresent() ? pid : -1;
    }

    /** What the port answers on /version and /health. */
    record Answer(String application, String instance, String version, boolean healthy, String error) {
        String describe() {
            if (error != null) {
                return error;
            }
            return application + " " + instance + " " + version + (healthy ? " healthy" : " unhealthy");
        }
    }

    static Answer probe(int port) {
        String base = "http://127.0.0.1:" + port;
        try {
            HttpResponse<String> v = get(base + "/version");
            if (v.statusCode() != 200) {
                return new Answer(null, null, null, false, "GET /version " + v.statusCode());
            }
            JsonNode j = JSON.readTree(v.body());
            boolean healthy = get(base + "/health").statusCode() / 100 == 2;
            return new Answer(j.path("application").asText(null), j.path("instance").asText(null),
                    j.path("version").asText(null), healthy, null);
        } catch (IOException e) {
            return new Answer(null, null, null, false,
                    "no usable answer to GET /version (" + e.getClass().getSimpleName() + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Answer(null, null, null, false, "interrupted");
        }
    }

    private static HttpResponse<String> get(String url) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(PROBE_TIMEOUT).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
