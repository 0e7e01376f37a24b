package io.opsflow.database;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * One row of the backup catalog: a verified offsite copy of one target. {@code rowCounts} are the table row counts
 * of a database at dump time (empty for files; for files the archive's entry count is stored under "files"), used to
 * verify restores, with {@code verifyValue} (the result of a verification query: a schema fingerprint of the
 * database). {@code startedAt} is when the dump began, i.e. the point in time the data is from.
 */
public record BackupEntry(String id, String environment, String target, String kind, String source, String location,
                          String objectKey, long sizeBytes, String sha256, Instant startedAt, Instant finishedAt,
                          boolean verified, String purpose, Map<String, Long> rowCounts, String verifyValue,
                          String processInstanceId,
                          Instant lastRestoredAt) {

    public BackupEntry {
        rowCounts = rowCounts == null ? Map.of() : Map.copyOf(rowCounts);
    }

    /** Age of the data at {@code at}: the recovery point an operator accepts by restoring this backup. */
    public Duration ageAt(Instant at) {
        return Duration.between(startedAt, at);
    }

    public BackupEntry withLastRestoredAt(Instant t) {
        return new BackupEntry(id, environment, target, kind, source, location, objectKey, sizeBytes, sha256, startedAt,
                finishedAt, verified, purpose, rowCounts, verifyValue, processInstanceId, t);
    }
}
