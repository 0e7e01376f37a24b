package io.opsflow.backup;

import java.security.SecureRandom;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;

import io.opsflow.database.BackupTarget;

/** Backup ids: {@code <env>-<target>-<yyyymmdd>t<hhmmss>z-<random>}, safe as file names and command arguments. */
public final class BackupIds {
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
            .withZone(ZoneOffset.UTC);
    private static final SecureRandom RANDOM = new SecureRandom();

    private BackupIds() {
    }

    public static String newId(String environment, String target, Instant at) {
        byte[] r = new byte[3];
        RANDOM.nextBytes(r);
        return (environment + "-" + target + "-" + STAMP.format(at) + "-" + HexFormat.of().formatHex(r))
                .toLowerCase(java.util.Locale.ROOT);
    }

    /** Offsite object key of a backup: {@code <env>/<target>/<id>.<ext>}. */
    public static String objectKey(BackupTarget t, String backupId) {
        return t.environment() + "/" + t.name() + "/" + backupId + "." + t.extension();
    }
}
