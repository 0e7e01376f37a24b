package io.opsflow.database;

import io.opsflow.environments.Environment;
import io.opsflow.environments.HostConfig;

/**
 * One thing a backup copies: a database of the environment (kind postgres or mariadb) or a directory on a host
 * (kind files). {@code host} is the host whose workers run the dump and the restore.
 */
public record BackupTarget(String environment, String name, String kind, HostConfig host,
                           Environment.Database database, String path) {

    public static final String POSTGRES = "postgres";
    public static final String MARIADB = "mariadb";
    public static final String FILES = "files";

    public boolean isDatabase() {
        return database != null;
    }

    /** Human-readable source for the catalog: {@code postgres://db.internal:5432/app}, {@code web-1:/var/www}. */
    public String source() {
        if (database != null) {
            return database.kind() + "://" + database.host() + ":" + database.port() + "/" + database.database();
        }
        return host.name() + ":" + path;
    }

    /** File name extension of this target's backups. */
    public String extension() {
        return switch (kind) {
            case POSTGRES -> "pgdump";
            case MARIADB -> "sql.gz";
            default -> "tar.gz";
        };
    }
}
