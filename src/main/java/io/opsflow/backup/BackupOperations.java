package io.opsflow.backup;

import java.time.Instant;
import java.util.Map;

import io.opsflow.database.BackupTarget;
import io.opsflow.database.OffsiteStore;
import io.opsflow.step.exec.StepLog;

/**
 * What a backup does on hosts (port of the backup runbook; the real implementation drives the workers/ scripts over
 * SSH, process tests mock it). Every method is idempotent for the same backup id, and leaves nothing behind when it
 * fails (a failed dump removes its partial file; a failed copy leaves no object).
 */
public interface BackupOperations {

    /**
     * Dumps the target on its host (pg_dump -Fc, mysqldump --single-transaction, tar of a directory) into the host
     * staging directory; records row counts per table (databases) or the entry count (files) for later verification.
     * Fails with a message saying what to fix when the database is not configured or not reachable.
     */
    Dump dump(BackupTarget target, String backupId, StepLog log);

    /**
     * Copies the host's dump to the offsite store under {@code key}. The returned object's SHA-256 is computed from
     * the bytes that reached the store.
     */
    OffsiteStore.StoredObject copyOffsite(BackupTarget target, String hostPath, String key, StepLog log);

    /** Removes a staging file on the target's host; a missing file is fine. */
    void removeFromHost(BackupTarget target, String hostPath, StepLog log);

    /**
     * A dump on the host. {@code startedAt} is the point in time of the data (the dump's snapshot);
     * {@code verifyValue} the result of the verification query (a schema fingerprint), null for files.
     */
    record Dump(String hostPath, long sizeBytes, String sha256, Map<String, Long> rowCounts, String verifyValue,
                Instant startedAt, Instant finishedAt) {
    }
}
