package io.opsflow.database;

import java.util.List;
import java.util.Map;

import io.opsflow.step.exec.StepLog;

/**
 * What a restore does on hosts (port of the restore runbook and of the migration rollback; the real implementation
 * drives the workers/ scripts over SSH, process tests mock it).
 */
public interface RestoreOperations {

    /**
     * Checks the offsite copy against the catalog's SHA-256, copies it to the target's host staging directory and
     * checks it again there. Touches nothing else. Returns the path on the host.
     *
     * @throws ChecksumMismatchException when either copy does not match the catalog
     */
    String stageOnHost(BackupTarget target, BackupEntry backup, StepLog log);

    /** Stops the running instances of the applications that write the target; returns them ("host/app/instance"). */
    List<String> stopWriters(BackupTarget target, StepLog log);

    /**
     * Restores the staged backup: into the original database or directory (replacing its content entirely), or into
     * a fresh scratch database or directory. Reports where, and the row counts (databases: per table; files:
     * {"files": n}) and verification value as restored.
     */
    Restored restore(BackupTarget target, BackupEntry backup, String hostPath, boolean scratch, StepLog log);

    /** Drops the scratch database or directory; a missing one is fine. */
    void dropScratch(BackupTarget target, String restoredInto, StepLog log);

    /** Starts the given instances again (those {@link #stopWriters} stopped). */
    void startWriters(BackupTarget target, List<String> instances, StepLog log);

    /** Health-checks the given instances; returns the unhealthy ones with the reason (empty: all healthy). */
    List<String> unhealthy(BackupTarget target, List<String> instances, StepLog log);

    /** Removes a staging file on the target's host; a missing file is fine. */
    void removeFromHost(BackupTarget target, String hostPath, StepLog log);

    /** What a restore produced. */
    record Restored(String into, Map<String, Long> rowCounts, String verifyValue) {
        public Restored {
            rowCounts = rowCounts == null ? Map.of() : Map.copyOf(rowCounts);
        }
    }
}
