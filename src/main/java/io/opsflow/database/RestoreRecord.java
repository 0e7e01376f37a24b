package io.opsflow.database;

import java.time.Instant;

/**
 * One restore or restore drill as measured: RTO is start of the run to verified (scratch) or healthy (original),
 * RPO the age of the restored data at the incident (or at the start of the restore when no incident time was given).
 */
public record RestoreRecord(String id, String backupId, String environment, String target, String targetKind,
                            boolean drill, Instant startedAt, Instant finishedAt, String outcome, Long rtoSeconds,
                            Long rpoSeconds, String detail, String processInstanceId) {
}
