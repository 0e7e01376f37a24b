package io.opsflow.database.host;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import io.opsflow.database.BackupTarget;
import io.opsflow.environments.Environment;

/**
 * Arguments of the db-* workers for a configured database, and reading their JSON results: shared by the dumps
 * (backup), the restores and the migrations (db-migrate.sh).
 */
public final class DatabaseArgs {
    /** Schema fingerprint recorded at backup time and compared after a restore (one SELECT, no ';'). */
    static final String PG_SCHEMA = "SELECT md5(coalesce(string_agg(table_schema || '.' || table_name || '.' "
            + "|| column_name || ':' || data_type || ':' || is_nullable, ',' ORDER BY table_schema, table_name, "
            + "column_name), '')) FROM information_schema.columns WHERE table_schema NOT IN ('pg_catalog', "
            + "'information_schema')";
    static final String MY_SCHEMA = "SELECT MD5(COALESCE(GROUP_CONCAT(CONCAT(table_name, '.', column_name, ':', "
            + "column_type, ':', is_nullable) ORDER BY table_name, column_name SEPARATOR ','), '')) FROM "
            + "information_schema.columns WHERE table_schema = DATABASE()";
    /** Suffix of scratch databases (restore drills); dropping refuses any other name. */
    static final String SCRATCH_SUFFIX = "_opsflow_scratch";

    private DatabaseArgs() {
    }

    /** --host --port --user and the credentials file option of the db workers. */
    public static List<String> connection(Environment.Database db, String credentialsFile) {
        List<String> a = new ArrayList<>(List.of("--host", db.host(), "--port", String.valueOf(db.port()), "--user",
                db.user()));
        if (credentialsFile != null) {
            a.add(BackupTarget.POSTGRES.equals(db.kind()) ? "--passfile" : "--defaults-file");
            a.add(credentialsFile);
        }
        return a;
    }

    /** The schema fingerprint query ({@code --verify-query}) for a database kind: the same at dump and at restore. */
    public static String schemaQuery(String kind) {
        return BackupTarget.POSTGRES.equals(kind) ? PG_SCHEMA : MY_SCHEMA;
    }

    static String scratchName(String database) {
        String base = database.length() > 63 - SCRATCH_SUFFIX.length()
                ? database.substring(0, 63 - SCRATCH_SUFFIX.length()) : database;
        return base + SCRATCH_SUFFIX;
    }

    /** The worker result's {@code rowCounts} (table → rows). */
    public static Map<String, Long> counts(JsonNode json) {
        Map<String, Long> out = new LinkedHashMap<>();
        JsonNode c = json.path("rowCounts");
        for (Iterator<Map.Entry<String, JsonNode>> it = c.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            out.put(e.getKey(), e.getValue().asLong());
        }
        return out;
    }

    /** A text field of a worker result, null when absent or null. */
    public static String text(JsonNode json, String field) {
        JsonNode v = json.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }
}
