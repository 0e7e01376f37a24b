package io.opsflow.backup;

import java.time.ZoneId;
import java.time.temporal.IsoFields;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

import io.opsflow.database.BackupEntry;
import io.opsflow.database.BackupProperties;

/**
 * Keep N daily and M weekly backups of one target (grandfather-father-son without the grandfather): the newest
 * backup of each of the N most recent calendar days that have a backup, plus the newest backup of each of the M most
 * recent ISO weeks that have one. Everything else is expired. The newest backup is always kept (N ≥ 1).
 */
public final class RetentionPolicy {
    private final int daily;
    private final int weekly;
    private final ZoneId zone;
    private final java.time.Duration preMigration;

    public RetentionPolicy(int daily, int weekly, ZoneId zone) {
        this(daily, weekly, zone, java.time.Duration.ofDays(14));
    }

    public RetentionPolicy(int daily, int weekly, ZoneId zone, java.time.Duration preMigration) {
        if (daily < 1) {
            throw new IllegalArgumentException("retention daily must be at least 1 (got " + daily + ")");
        }
        if (weekly < 0) {
            throw new IllegalArgumentException("retention weekly must not be negative (got " + weekly + ")");
        }
        this.daily = daily;
        this.weekly = weekly;
        this.zone = zone;
        this.preMigration = preMigration;
    }

    public static RetentionPolicy of(BackupProperties.Retention r) {
        return new RetentionPolicy(r.getDaily(), r.getWeekly(), ZoneId.systemDefault(),
                java.time.Duration.ofDays(r.getPreMigrationDays()));
    }

    /** {@link #expired(List, java.time.Instant)} now. */
    public List<BackupEntry> expired(List<BackupEntry> backups) {
        return expired(backups, java.time.Instant.now());
    }

    /**
     * The backups to delete at {@code now}, newest first. {@code backups} are one target's, in any order. Kept
     * whatever the buckets say: the newest verified backup (the target is never left without a way back) and every
     * pre-migration backup younger than its retention (the migration's way back).
     */
    public List<BackupEntry> expired(List<BackupEntry> backups, java.time.Instant now) {
        List<BackupEntry> sorted = new ArrayList<>(backups);
        sorted.sort(Comparator.comparing(BackupEntry::startedAt).thenComparing(BackupEntry::id).reversed());
        Set<String> keep = new LinkedHashSet<>();
        keep.addAll(newestPerBucket(sorted, b -> b.startedAt().atZone(zone).toLocalDate().toString(), daily));
        keep.addAll(newestPerBucket(sorted, b -> {
            var d = b.startedAt().atZone(zone).toLocalDate();
            return d.get(IsoFields.WEEK_BASED_YEAR) + "-W" + d.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR);
        }, weekly));
        sorted.stream().filter(BackupEntry::verified).findFirst().ifPresent(b -> keep.add(b.id()));
        sorted.stream().filter(b -> "pre-migration".equals(b.purpose())
                && b.startedAt().plus(preMigration).isAfter(now)).forEach(b -> keep.add(b.id()));
        return sorted.stream().filter(b -> !keep.contains(b.id())).toList();
    }

    private static List<String> newestPerBucket(List<BackupEntry> newestFirst, Function<BackupEntry, String> bucket,
                                                int buckets) {
        List<String> kept = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        for (BackupEntry b : newestFirst) {
            if (seen.size() >= buckets && !seen.contains(bucket.apply(b))) {
                break;
            }
            if (seen.add(bucket.apply(b))) {
                kept.add(b.id());
            }
        }
        return kept;
    }
}
