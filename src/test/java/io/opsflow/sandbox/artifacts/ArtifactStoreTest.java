package io.opsflow.sandbox.artifacts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArtifactStoreTest {

    @TempDir
    Path dir;

    /** A tar entry as read back by an independent ustar parser: mode, type and content. */
    record Entry(int mode, char type, String content) {}

    @Test
    void knowsTheSandboxApplicationsAndVersionsInReleaseOrder() {
        assertThat(ArtifactStore.applications()).containsExactly(
                Map.entry("api", List.of("1.0.0", "1.1.0")),
                Map.entry("webapp", List.of("1.0.0", "1.1.0", "1.2.0", "2.0.0-broken")));
    }

    @Test
    void buildsEveryVersionWithChecksumFiles() throws IOException {
        List<Path> built = ArtifactStore.build(dir);

        assertThat(built).extracting(p -> p.getFileName().toString()).containsExactly(
                "api-1.0.0.tar.gz", "api-1.1.0.tar.gz",
                "webapp-1.0.0.tar.gz", "webapp-1.1.0.tar.gz", "webapp-1.2.0.tar.gz", "webapp-2.0.0-broken.tar.gz");
        ArtifactStore store = new ArtifactStore(dir);
        for (Path tarball : built) {
            String sha = ArtifactStore.sha256(Files.readAllBytes(tarball));
            Path shaFile = tarball.resolveSibling(tarball.getFileName() + ".sha256");
            assertThat(Files.readString(shaFile)).isEqualTo(sha + "  " + tarball.getFileName() + "\n");
        }
        assertThat(store.sha256("webapp", "1.1.0"))
                .isEqualTo(ArtifactStore.sha256(Files.readAllBytes(store.artifact("webapp", "1.1.0"))));
    }

    @Test
    void tarballHoldsExecutableBinVersionAndCumulativeMigrations() throws IOException {
        ArtifactStore.build(dir);
        Map<String, Entry> v120 = read(new ArtifactStore(dir).artifact("webapp", "1.2.0"));

        assertThat(v120.keySet()).containsExactly("bin/", "bin/webapp", "VERSION", "release.properties",
                "migrations/", "migrations/001_create_items.sql", "migrations/002_items_add_price.sql",
                "migrations/003_create_orders.sql");
        assertThat(v120.get("bin/webapp").mode()).isEqualTo(0755);
        assertThat(v120.get("bin/webapp").content()).startsWith("#!/usr/bin/env python3").contains("/health");
        assertThat(v120.get("bin/").type()).isEqualTo('5');
        assertThat(v120.get("VERSION").content()).isEqualTo("1.2.0\n");
        assertThat(v120.get("VERSION").mode()).isEqualTo(0644);
        assertThat(v120.get("migrations/003_create_orders.sql").content()).contains("CREATE TABLE orders");

        Map<String, Entry> broken = read(new ArtifactStore(dir).artifact("webapp", "2.0.0-broken"));
        assertThat(broken).containsKey("migrations/004_orders_add_status.sql");
        assertThat(broken.get("release.properties").content()).contains("health.fail-after-seconds=0");

        Map<String, Entry> api = read(new ArtifactStore(dir).artifact("api", "1.0.0"));
        assertThat(api.keySet()).containsExactly("bin/", "bin/api", "VERSION", "release.properties",
                "migrations/", "migrations/001_create_api_clients.sql");
    }

    @Test
    void buildIsIdempotentAndRepairsDamagedFiles() throws IOException {
        List<Path> first = ArtifactStore.build(dir);
        Path tarball = first.get(0);
        byte[] original = Files.readAllBytes(tarball);
        FileTime old = FileTime.fromMillis(1_000_000_000_000L);
        Files.setLastModifiedTime(tarball, old);

        List<Path> second = ArtifactStore.build(dir);

        assertThat(second).isEqualTo(first);
        assertThat(Files.getLastModifiedTime(tarball)).as("unchanged file not rewritten").isEqualTo(old);
        assertThat(Files.readAllBytes(tarball)).isEqualTo(original);

        Files.write(tarball, new byte[] {1, 2, 3});
        ArtifactStore.build(dir);
        assertThat(Files.readAllBytes(tarball)).isEqualTo(original);
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
        }
    }

    @Test
    void unknownOrUnbuiltArtifactsAreClearErrors() {
        ArtifactStore store = new ArtifactStore(dir);
        assertThatThrownBy(() -> store.artifact("webapp", "1.0.0"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("call ArtifactStore.build");
        assertThatThrownBy(() -> store.artifact("webapp", "9.9.9"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("unknown application or version");
        assertThatThrownBy(() -> store.artifact("../etc", "1.0.0"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("invalid application name");
        assertThatThrownBy(() -> ArtifactStore.fileName("webapp", "1.0.0;rm"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /** Independent ustar reader (not the writer's code): names, octal modes, types and contents. */
    static Map<String, Entry> read(Path tarGz) throws IOException {
        byte[] tar;
        try (InputStream in = new GZIPInputStream(Files.newInputStream(tarGz))) {
            tar = in.readAllBytes();
        }
        assertThat(tar.length % 512).isZero();
        Map<String, Entry> entries = new LinkedHashMap<>();
        int pos = 0;
        while (pos + 512 <= tar.length) {
            byte[] h = java.util.Arrays.copyOfRange(tar, pos, pos + 512);
            if (isZero(h)) {
                break;
            }
            String name = cString(h, 0, 100);
            int mode = Integer.parseInt(cString(h, 100, 8).trim(), 8);
            int size = Integer.parseInt(cString(h, 124, 12).trim(), 8);
            long checksum = Long.parseLong(cString(h, 148, 8).trim(), 8);
            long sum = 0;
            for (int i = 0; i < 512; i++) {
                sum += (i >= 148 && i < 156) ? ' ' : (h[i] & 0xff);
            }
            assertThat(checksum).as("header checksum of " + name).isEqualTo(sum);
            assertThat(cString(h, 257, 6)).isEqualTo("ustar");
            String content = new String(tar, pos + 512, size, StandardCharsets.UTF_8);
            entries.put(name, new Entry(mode, (char) h[156], content));
            pos += 512 + ((size + 511) / 512) * 512;
        }
        return entries;
    }

    private static boolean isZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    private static String cString(byte[] h, int off, int len) {
        int end = off;
        while (end < off + len && h[end] != 0) {
            end++;
        }
        return new String(h, off, end - off, StandardCharsets.US_ASCII);
    }

}
