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

    public RetentionPolicy(int daily, int weekly, ZoneId zone) {
        if (daily < 1) {
            throw new IllegalArgumentException("retention daily must be at least 1 (got " + daily + ")");
        }
        if (weekly < 0) {
            throw new IllegalArgumentException("retention weekly must not be negative (got " + weekly + ")");
        }
        this.daily = daily;
        this.weekly = weekly;
        this.zone = zone;
    }

    public static RetentionPolicy of(BackupProperties.Retention r) {
        return new RetentionPolicy(r.getDaily(), r.getWeekly(), ZoneId.systemDefault());
    }

    /** The backups to delete, newest first. {@code backups} are one target's, in any order. */
    public List<BackupEntry> expired(List<BackupEntry> backups) {
        List<BackupEntry> sorted = new ArrayList<>(backups);
        sorted.sort(Comparator.comparing(BackupEntry::startedAt).thenComparing(BackupEntry::id).reversed());
        Set<String> keep = new LinkedHashSet<>();
        keep.addAll(newestPerBucket(sorted, b -> b.startedAt().atZone(zone).toLocalDate().toString(), daily));
        keep.addAll(newestPerBucket(sorted, b -> {
            var d = b.startedAt().atZone(zone).toLocalDate();
            return d.get(IsoFields.WEEK_BASED_YEAR) + "-W" + d.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR);
        }, weekly));
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
