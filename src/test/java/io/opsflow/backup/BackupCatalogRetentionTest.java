package io.opsflow.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

import io.opsflow.database.BackupCatalog;
import io.opsflow.database.BackupEntry;
import io.opsflow.database.DirectoryOffsiteStore;
import io.opsflow.database.OffsiteStore;
import io.opsflow.database.RestoreRecord;
import io.opsflow.database.Sha256;

/** The catalog, the directory offsite store and retention: exactly the expired copies go, files and rows together. */
class BackupCatalogRetentionTest {
    static final Instant NOW = Instant.parse("2025-03-12T03:00:00Z"); // a Wednesday

    @TempDir
    Path dir;

    DriverManagerDataSource ds;
    BackupCatalog catalog;
    DirectoryOffsiteStore store;

    @BeforeEach
    void setUp() {
        ds = new DriverManagerDataSource("jdbc:h2:mem:cat-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1", "sa", "");
        catalog = new BackupCatalog(new JdbcTemplate(ds));
        store = new DirectoryOffsiteStore(dir.resolve("offsite"));
    }

    BackupEntry backup(String id, Instant startedAt) {
        String key = "production/appdb/" + id + ".pgdump";
        OffsiteStore.StoredObject o = store.put(key, new ByteArrayInputStream(id.getBytes(StandardCharsets.UTF_8)));
        BackupEntry e = new BackupEntry(id, "production", "appdb", "postgres", "postgres://db:5432/app",
                store.location(key), key, o.size(), o.sha256(), startedAt, startedAt.plusSeconds(30), true,
                "scheduled", Map.of("public.items", 3L), "fp", "pi-1", null);
        catalog.insert(e);
        return e;
    }

    /** Daily backups at 02:00 for 40 days before NOW, plus an extra one today at 01:00. */
    List<BackupEntry> history() {
        List<BackupEntry> all = new ArrayList<>();
        for (int d = 0; d < 40; d++) {
            Instant t = NOW.minus(Duration.ofDays(d)).minus(Duration.ofHours(1));
            all.add(backup("b-" + t.atZone(ZoneOffset.UTC).toLocalDate(), t));
        }
        all.add(backup("b-early-today", NOW.minus(Duration.ofHours(2))));
        return all;
    }

    @Test
    void policyKeepsTheNewestOfTheLastNDaysAndOfTheLastMWeeks() {
        List<BackupEntry> all = history();
        RetentionPolicy policy = new RetentionPolicy(7, 4, ZoneOffset.UTC);
        List<String> kept = all.stream().map(BackupEntry::id)
                .filter(id -> policy.expired(all).stream().noneMatch(e -> e.id().equals(id))).sorted().toList();
        // days: 03-12 (newest of two), 03-11 … 03-06; ISO weeks: W11 (03-10..16) newest = 03-12, W10 newest = 03-09,
        // W9 newest = 03-02, W8 newest = 02-23
        assertThat(kept).containsExactly("b-2025-02-23", "b-2025-03-02", "b-2025-03-06", "b-2025-03-07",
                "b-2025-03-08", "b-2025-03-09", "b-2025-03-10", "b-2025-03-11", "b-2025-03-12");
        assertThat(policy.expired(all)).hasSize(all.size() - kept.size()).extracting(BackupEntry::id)
                .contains("b-early-today", "b-2025-03-05", "b-2025-02-01");
    }

    static BackupEntry entry(String id, Instant startedAt, boolean verified, String purpose) {
        return new BackupEntry(id, "production", "appdb", "postgres", "postgres://db:5432/app", "loc", "key/" + id,
                1, "0".repeat(64), startedAt, startedAt.plusSeconds(30), verified, purpose, Map.of(), null, "pi", null);
    }

    @Test
    void theNewestVerifiedBackupIsNeverDeletedEvenWhenNewerUnverifiedOnesFillEveryBucket() {
        List<BackupEntry> all = new ArrayList<>();
        all.add(entry("verified-old", NOW.minus(Duration.ofDays(10)), true, "scheduled"));
        for (int d = 0; d < 3; d++) {
            all.add(entry("unverified-" + d, NOW.minus(Duration.ofDays(d)), false, "scheduled"));
        }
        RetentionPolicy policy = new RetentionPolicy(3, 0, ZoneOffset.UTC);
        assertThat(policy.expired(all, NOW)).extracting(BackupEntry::id).doesNotContain("verified-old").isEmpty();
    }

    @Test
    void aPreMigrationBackupIsKeptWhileItsRetentionLastsThenFollowsThePolicy() {
        List<BackupEntry> all = new ArrayList<>();
        for (int d = 0; d < 5; d++) {
            all.add(entry("daily-" + d, NOW.minus(Duration.ofDays(d)), true, "scheduled"));
        }
        BackupEntry preMigration = entry("pre-migration", NOW.minus(Duration.ofDays(3)).plusSeconds(60), true,
                "pre-migration");
        all.add(preMigration);
        RetentionPolicy policy = new RetentionPolicy(1, 0, ZoneOffset.UTC, Duration.ofDays(14));
        assertThat(policy.expired(all, NOW)).extracting(BackupEntry::id)
                .containsExactlyInAnyOrder("daily-1", "daily-2", "daily-3", "daily-4");
        assertThat(policy.expired(all, NOW.plus(Duration.ofDays(12)))).extracting(BackupEntry::id)
                .as("14 days after it was taken it is an ordinary backup again").contains("pre-migration");
    }

    @Test
    void policyNeedsAtLeastOneDailyAndKeepsEverythingWhenThereIsLittle() {
        assertThatThrownBy(() -> new RetentionPolicy(0, 4, ZoneOffset.UTC)).hasMessageContaining("at least 1");
        assertThatThrownBy(() -> new RetentionPolicy(1, -1, ZoneOffset.UTC)).hasMessageContaining("weekly");
        BackupEntry only = backup("only", NOW);
        assertThat(new RetentionPolicy(1, 0, ZoneOffset.UTC).expired(List.of(only))).isEmpty();
        assertThat(new RetentionPolicy(1, 0, ZoneOffset.UTC).expired(List.of())).isEmpty();
    }

    @Test
    void retentionDeletesExactlyTheExpiredCopiesWithTheirRows() {
        List<BackupEntry> all = history();
        RetentionPolicy policy = new RetentionPolicy(7, 4, ZoneOffset.UTC);
        List<String> expected = policy.expired(all).stream().map(BackupEntry::id).sorted().toList();
        BackupEntry otherTarget = new BackupEntry("other", "production", "uploads", "files", "web-1:/srv", "x",
                "production/uploads/other.tar.gz", 1, "0".repeat(64), NOW.minus(Duration.ofDays(90)),
                NOW.minus(Duration.ofDays(90)), true, "scheduled", Map.of(), null, "pi", null);
        catalog.insert(otherTarget);
        store.put(otherTarget.objectKey(), new ByteArrayInputStream(new byte[] {1}));

        BackupRetention.Result r = new BackupRetention(catalog, store, new DataSourceTransactionManager(ds))
                .apply("production", "appdb", policy, NOW, Duration.ofHours(24));

        assertThat(r.deleted()).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(catalog.list("production", "appdb")).extracting(BackupEntry::id).doesNotContainAnyElementsOf(expected)
                .hasSize(9);
        for (BackupEntry e : all) {
            assertThat(store.exists(e.objectKey())).as(e.id()).isEqualTo(!expected.contains(e.id()));
        }
        assertThat(catalog.find("other")).isPresent();
        assertThat(store.exists("production/uploads/other.tar.gz")).isTrue();
        assertThat(r.orphansDeleted()).isEmpty();
    }

    @Test
    void aCopyThatCannotBeDeletedKeepsItsRowAndTheOthersAreStillDeleted() {
        BackupEntry old1 = backup("old-1", NOW.minus(Duration.ofDays(3)));
        BackupEntry old2 = backup("old-2", NOW.minus(Duration.ofDays(2)));
        backup("new", NOW);
        OffsiteStore failing = new ForwardingStore(store) {
            @Override
            public boolean delete(String key) {
                if (key.equals(old1.objectKey())) {
                    throw new IllegalStateException("storage box says: permission denied");
                }
                return super.delete(key);
            }
        };
        BackupRetention retention = new BackupRetention(catalog, failing, new DataSourceTransactionManager(ds));
        assertThatThrownBy(() -> retention.apply("production", "appdb", new RetentionPolicy(1, 0, ZoneOffset.UTC),
                NOW, Duration.ofHours(24))).hasMessageContaining("permission denied");
        // old-2 (newest first) went with its file; old-1's row stays with its file
        assertThat(catalog.find("old-2")).isEmpty();
        assertThat(store.exists(old2.objectKey())).isFalse();
        assertThat(catalog.find("old-1")).isPresent();
        assertThat(store.exists(old1.objectKey())).isTrue();
    }

    @Test
    void orphansOlderThanTheGraceAreDeletedNewerOnesAndCataloguedCopiesStay() throws IOException {
        BackupEntry kept = backup("kept", NOW);
        Path root = dir.resolve("offsite/production/appdb");
        Path oldOrphan = Files.writeString(root.resolve("crashed-before-record.pgdump"), "x");
        Path partial = Files.writeString(root.resolve(".x.pgdump.1234.partial"), "x");
        Path freshOrphan = Files.writeString(root.resolve("being-recorded.pgdump"), "x");
        Files.setLastModifiedTime(oldOrphan, FileTime.from(NOW.minus(Duration.ofDays(2))));
        Files.setLastModifiedTime(partial, FileTime.from(NOW.minus(Duration.ofDays(2))));
        Files.setLastModifiedTime(freshOrphan, FileTime.from(NOW.minus(Duration.ofHours(1))));
        Files.setLastModifiedTime(store.root().resolve(kept.objectKey()), FileTime.from(NOW.minus(Duration.ofDays(9))));

        BackupRetention.Result r = new BackupRetention(catalog, store, new DataSourceTransactionManager(ds))
                .apply("production", "appdb", new RetentionPolicy(7, 4, ZoneOffset.UTC), NOW, Duration.ofHours(24));

        assertThat(r.orphansDeleted()).containsExactlyInAnyOrder("production/appdb/crashed-before-record.pgdump",
                "production/appdb/.x.pgdump.1234.partial");
        assertThat(freshOrphan).exists();
        assertThat(store.exists(kept.objectKey())).isTrue();
    }

    @Test
    void theStoreWritesCompleteObjectsOnlyAndRefusesKeysThatEscape() {
        InputStream failsHalfWay = new InputStream() {
            int n;

            @Override
            public int read() throws IOException {
                if (n++ > 1000) {
                    throw new IOException("connection reset by host");
                }
                return 'a';
            }
        };
        assertThatThrownBy(() -> store.put("production/appdb/x.pgdump", failsHalfWay))
                .hasMessageContaining("connection reset");
        assertThat(store.list("")).isEmpty();
        for (String bad : List.of("../etc/passwd", "/abs/x", "a/../../x", "-rf", "a//b", "A/B", "a/./b", "a b")) {
            assertThatThrownBy(() -> store.put(bad, new ByteArrayInputStream(new byte[0]))).as(bad)
                    .isInstanceOf(IllegalArgumentException.class);
        }
        OffsiteStore.StoredObject o = store.put("a/b.pgdump", new ByteArrayInputStream("data".getBytes()));
        assertThat(o.sha256()).isEqualTo(Sha256.of("data".getBytes())).isEqualTo(store.sha256("a/b.pgdump"));
        assertThat(o.size()).isEqualTo(4);
        assertThatThrownBy(() -> store.sha256("a/missing")).isInstanceOf(OffsiteStore.NoSuchObjectException.class);
        assertThat(store.delete("a/b.pgdump")).isTrue();
        assertThat(store.delete("a/b.pgdump")).isFalse();
    }

    @Test
    void catalogListsNewestFirstFindsTheLatestVerifiedAndRecordsRestoresWithRtoAndRpo() {
        backup("b1", NOW.minus(Duration.ofDays(1)));
        BackupEntry b2 = backup("b2", NOW);
        assertThat(catalog.list("production")).extracting(BackupEntry::id).containsExactly("b2", "b1");
        assertThat(catalog.list("staging")).isEmpty();
        assertThat(catalog.latest("production", "appdb")).contains(b2);
        BackupEntry read = catalog.find("b2").orElseThrow();
        assertThat(read.rowCounts()).containsEntry("public.items", 3L);
        assertThat(read.verifyValue()).isEqualTo("fp");
        assertThatThrownBy(() -> catalog.insert(b2)).isInstanceOf(org.springframework.dao.DuplicateKeyException.class);

        catalog.recordRestore(new RestoreRecord("pi-9", "b2", "production", "appdb", "scratch", true, NOW,
                NOW.plusSeconds(95), "SUCCEEDED", 95L, 3600L, "drill", "pi-9"));
        catalog.markRestored("b2", NOW.plusSeconds(95));
        assertThat(catalog.restores("production")).singleElement().satisfies(r -> {
            assertThat(r.rtoSeconds()).isEqualTo(95L);
            assertThat(r.rpoSeconds()).isEqualTo(3600L);
            assertThat(r.drill()).isTrue();
        });
        assertThat(catalog.find("b2").orElseThrow().lastRestoredAt()).isEqualTo(NOW.plusSeconds(95));
    }

    /** Delegates everything to another store. */
    static class ForwardingStore implements OffsiteStore {
        final OffsiteStore d;

        ForwardingStore(OffsiteStore d) {
            this.d = d;
        }

        public StoredObject put(String key, InputStream content) { return d.put(key, content); }
        public String sha256(String key) { return d.sha256(key); }
        public InputStream open(String key) { return d.open(key); }
        public boolean exists(String key) { return d.exists(key); }
        public boolean delete(String key) { return d.delete(key); }
        public List<StoredObject> list(String prefix) { return d.list(prefix); }
        public String location(String key) { return d.location(key); }
    }
}
