package io.opsflow.database;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Compares what a restore produced with what the backup recorded: the same tables (no table missing, none extra:
 * a restore over the original must not leave tables created after the backup) with the same row counts.
 */
public final class RestoreVerification {
    private RestoreVerification() {
    }

    /** Differences of a restore from its backup: tables, row counts and the verification value (schema). */
    public static List<String> differences(BackupEntry backup, RestoreOperations.Restored restored) {
        List<String> out = differences(backup.rowCounts(), restored.rowCounts());
        if (backup.verifyValue() != null && !backup.verifyValue().equals(restored.verifyValue())) {
            out.add("verification query (schema fingerprint): backup has " + backup.verifyValue() + ", restored has "
                    + restored.verifyValue());
        }
        return out;
    }

    /** Differences as "table: expected N rows, found M" lines; empty when the restore verifies. */
    public static List<String> differences(Map<String, Long> expected, Map<String, Long> actual) {
        List<String> out = new ArrayList<>();
        TreeSet<String> names = new TreeSet<>(expected.keySet());
        names.addAll(actual.keySet());
        for (String t : names) {
            Long e = expected.get(t);
            Long a = actual.get(t);
            if (e == null) {
                out.add(t + ": not in the backup but present after the restore (" + a + " rows)");
            } else if (a == null) {
                out.add(t + ": missing after the restore (backup has " + e + " rows)");
            } else if (!e.equals(a)) {
                out.add(t + ": expected " + e + " rows, found " + a);
            }
        }
        return out;
    }
}
