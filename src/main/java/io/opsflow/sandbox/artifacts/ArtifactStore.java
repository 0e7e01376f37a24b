package io.opsflow.sandbox.artifacts;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.springframework.core.io.Resource;
import org.springframework.core.io.support.PathMatchingResourcePatternResolver;

/**
 * The sandbox artifact store: a directory of {@code <app>-<version>.tar.gz} files plus {@code .sha256} files
 * (sha256sum format), built from the application sources on the classpath under {@code sandbox/apps/<app>/}.
 *
 * <p>Source layout per application: {@code bin/*} (packaged with mode 0755), {@code versions.txt} (the versions in
 * release order), {@code versions/<version>/release.properties} and {@code versions/<version>/migrations/*.sql}.
 * The tarball of a version holds {@code bin/<app>}, {@code VERSION}, {@code release.properties} and
 * {@code migrations/} with the migrations of that version and of every earlier one (files {@code NNN_name.sql},
 * applied in name order), which is what {@code workers/release-activate.sh} installs. {@link #INDEX} lists them all,
 * so the same directory also works as an http(s) store.
 */
public final class ArtifactStore {

    /** Classpath folder holding the application sources. */
    public static final String RESOURCE_ROOT = "sandbox/apps/";

    /**
     * The store's index: one {@code <app>-<version>.tar.gz} per line, each application's versions in release order
     * (docs/contracts.md, "Artifacts"): what {@code workers/artifact-list.sh} reads when the store is served over
     * http(s).
     */
    public static final String INDEX = "index.txt";
    static final String INDEX_HEADER = "opsflow artifact store index: <app>-<version>.tar.gz per line, release order";

    private static final Pattern APP = Pattern.compile("^[a-z0-9][a-z0-9-]{0,62}$");
    private static final Pattern VERSION = Pattern.compile("^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$");
    private static final Pattern FILE = Pattern.compile("^[A-Za-z0-9][A-Za-z0-9._-]{0,80}$");

    private final Path directory;

    public ArtifactStore(Path directory) {
        this.directory = directory.toAbsolutePath().normalize();
    }

    public Path directory() {
        return directory;
    }

    /**
     * Builds every version of every sandbox application into {@code targetDir} (created when missing). Idempotent:
     * the output is deterministic and files whose content is already right are not rewritten. Returns the tarballs
     * in application and release order.
     */
    public static List<Path> build(Path targetDir) {
        try {
            Files.createDirectories(targetDir);
            List<Path> built = new ArrayList<>();
            StringBuilder index = new StringBuilder("# " + INDEX_HEADER + "\n");
            for (Map.Entry<String, List<String>> app : applications().entrySet()) {
                for (String version : app.getValue()) {
                    byte[] tarGz = tarGz(app.getKey(), version);
                    String name = fileName(app.getKey(), version);
                    Path tarball = targetDir.resolve(name);
                    writeIfChanged(tarball, tarGz);
                    String line = sha256(tarGz) + "  " + name + "\n";
                    writeIfChanged(targetDir.resolve(name + ".sha256"), line.getBytes(StandardCharsets.US_ASCII));
                    built.add(tarball.toAbsolutePath().normalize());
                    index.append(name).append('\n');
                }
            }
            writeIfChanged(targetDir.resolve(INDEX), index.toString().getBytes(StandardCharsets.US_ASCII));
            return List.copyOf(built);
        } catch (IOException e) {
            throw new UncheckedIOException("could not build the sandbox artifact store in " + targetDir, e);
        }
    }

    /** Applications on the classpath and their versions in release order. */
    public static Map<String, List<String>> applications() {
        Map<String, List<String>> apps = new TreeMap<>();
        for (Resource r : resources(RESOURCE_ROOT + "*/versions.txt")) {
            String rel = relative(r, RESOURCE_ROOT);
            String app = rel.substring(0, rel.indexOf('/'));
            if (apps.containsKey(app)) {
                continue;
            }
            requireMatch(APP, app, "application name");
            List<String> versions = new ArrayList<>();
            for (String line : read(r).split("\n")) {
                String v = line.strip();
                if (!v.isEmpty() && !v.startsWith("#")) {
                    requireMatch(VERSION, v, "version of " + app);
                    versions.add(v);
                }
            }
            if (versions.isEmpty()) {
                throw new IllegalStateException(RESOURCE_ROOT + app + "/versions.txt lists no version");
            }
            apps.put(app, List.copyOf(versions));
        }
        if (apps.isEmpty()) {
            throw new IllegalStateException("no sandbox applications on the classpath under " + RESOURCE_ROOT);
        }
        return apps;
    }

    public static String fileName(String app, String version) {
        requireMatch(APP, app, "application name");
        requireMatch(VERSION, version, "version");
        return app + "-" + version + ".tar.gz";
    }

    /** The tarball of {@code app} {@code version}; fails when the store does not hold it (build it first). */
    public Path artifact(String app, String version) {
        Path p = directory.resolve(fileName(app, version));
        if (!Files.isRegularFile(p)) {
            throw new IllegalStateException("artifact store " + directory + " has no " + p.getFileName()
                    + (applications().getOrDefault(app, List.of()).contains(version)
                            ? " (call ArtifactStore.build first)"
                            : " (unknown application or version; known: " + applications() + ")"));
        }
        return p;
    }

    /** The SHA-256 recorded next to the tarball, as 64 lowercase hex digits. */
    public String sha256(String app, String version) {
        Path p = artifact(app, version).resolveSibling(fileName(app, version) + ".sha256");
        try {
            String hex = Files.readString(p, StandardCharsets.US_ASCII).strip().split("\\s+")[0];
            if (!hex.matches("^[0-9a-f]{64}$")) {
                throw new IllegalStateException(p + " does not hold a SHA-256");
            }
            return hex;
        } catch (IOException e) {
            throw new UncheckedIOException("could not read " + p, e);
        }
    }

    static byte[] tarGz(String app, String version) {
        List<String> versions = applications().get(app);
        if (versions == null || !versions.contains(version)) {
            throw new IllegalArgumentException("unknown sandbox application version " + app + " " + version);
        }
        String base = RESOURCE_ROOT + app + "/";
        Map<String, byte[]> bin = files(base + "bin/");
        if (!bin.containsKey(app)) {
            throw new IllegalStateException("classpath has no " + base + "bin/" + app);
        }
        Map<String, byte[]> migrations = new TreeMap<>();
        for (String v : versions.subList(0, versions.indexOf(version) + 1)) {
            for (Map.Entry<String, byte[]> m : files(base + "versions/" + v + "/migrations/").entrySet()) {
                if (migrations.put(m.getKey(), m.getValue()) != null) {
                    throw new IllegalStateException("migration " + m.getKey() + " of " + app + " exists twice");
                }
            }
        }
        Map<String, byte[]> top = files(base + "versions/" + version + "/");
        TarGzWriter tar = new TarGzWriter();
        tar.directory("bin", 0755);
        bin.forEach((name, content) -> tar.file("bin/" + name, 0755, content));
        tar.file("VERSION", 0644, (version + "\n").getBytes(StandardCharsets.UTF_8));
        top.forEach((name, content) -> tar.file(name, 0644, content));
        tar.directory("migrations", 0755);
        migrations.forEach((name, content) -> tar.file("migrations/" + name, 0644, content));
        return tar.finish();
    }

    /** Regular files directly inside a classpath folder, by name, sorted; first classpath entry wins. */
    private static Map<String, byte[]> files(String folder) {
        Map<String, byte[]> out = new TreeMap<>();
        for (Resource r : resources(folder + "*")) {
            String name = relative(r, folder);
            if (name.isEmpty() || name.contains("/") || !r.isReadable() || out.containsKey(name)) {
                continue;
            }
            if (name.equals("VERSION")) {
                throw new IllegalStateException(folder + "VERSION must not exist: it is generated");
            }
            requireMatch(FILE, name, "file name in " + folder);
            try (InputStream in = r.getInputStream()) {
                out.put(name, in.readAllBytes());
            } catch (IOException e) {
                // a directory entry on a file-system classpath is not readable as a stream
                if (!isDirectory(r)) {
                    throw new UncheckedIOException("could not read " + r, e);
                }
            }
        }
        return out;
    }

    private static boolean isDirectory(Resource r) {
        try {
            return r.isFile() && r.getFile().isDirectory();
        } catch (IOException e) {
            return false;
        }
    }

    private static Resource[] resources(String pattern) {
        try {
            Resource[] found = new PathMatchingResourcePatternResolver(ArtifactStore.class.getClassLoader())
                    .getResources("classpath*:" + pattern);
            return Arrays.stream(found).filter(r -> !isDirectory(r)).toArray(Resource[]::new);
        } catch (IOException e) {
            throw new UncheckedIOException("could not list classpath resources " + pattern, e);
        }
    }

    private static String relative(Resource r, String folder) {
        try {
            String url = URLDecoder.decode(r.getURL().toString().replace("+", "%2B"), StandardCharsets.UTF_8);
            int i = url.lastIndexOf(folder);
            if (i < 0) {
                throw new IllegalStateException("resource " + url + " is not under " + folder);
            }
            return url.substring(i + folder.length());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String read(Resource r) {
        try (InputStream in = r.getInputStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("could not read " + r, e);
        }
    }

    private static void writeIfChanged(Path target, byte[] content) throws IOException {
        if (Files.isRegularFile(target) && Arrays.equals(Files.readAllBytes(target), content)) {
            return;
        }
        Path tmp = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".tmp");
        try {
            Files.write(tmp, content);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    static String sha256(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void requireMatch(Pattern p, String value, String what) {
        if (value == null || !p.matcher(value).matches()) {
            throw new IllegalArgumentException("invalid " + what + ": " + value);
        }
    }

    @Override
    public String toString() {
        return "ArtifactStore[" + directory + "]";
    }
}
