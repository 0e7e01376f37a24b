package io.opsflow.database;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.stereotype.Component;

import com.fasterxml.jackson.core.type.TypeReference;

import io.opsflow.platform.runbook.RunVariables;

/**
 * The backup catalog: opsflow's own tables in the engine's database (H2 by default, PostgreSQL in production),
 * created by the application with portable SQL. A row is written only for a copy that is offsite and verified, in
 * one statement, so there is never a half-written entry. Restores and drills are recorded with their RTO and RPO.
 */
@Component
public class BackupCatalog {
    private static final TypeReference<LinkedHashMap<String, Long>> COUNTS = new TypeReference<>() {
    };
    private static final String COLUMNS = "ID_, ENVIRONMENT_, TARGET_, KIND_, SOURCE_, LOCATION_, OBJECT_KEY_, SIZE_, "
            + "SHA256_, STARTED_, FINISHED_, VERIFIED_, PURPOSE_, ROW_COUNTS_, VERIFY_VALUE_, PROC_INST_ID_, LAST_RESTORED_";

    private final JdbcTemplate jdbc;

    public BackupCatalog(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
        jdbc.execute("CREATE TABLE IF NOT EXISTS OPSFLOW_BACKUP (ID_ VARCHAR(160) PRIMARY KEY, "
                + "ENVIRONMENT_ VARCHAR(63) NOT NULL, TARGET_ VARCHAR(63) NOT NULL, KIND_ VARCHAR(16) NOT NULL, "
                + "SOURCE_ VARCHAR(500) NOT NULL, LOCATION_ VARCHAR(1000) NOT NULL, OBJECT_KEY_ VARCHAR(500) NOT NULL, "
                + "SIZE_ BIGINT NOT NULL, SHA256_ VARCHAR(64) NOT NULL, STARTED_ TIMESTAMP NOT NULL, "
                + "FINISHED_ TIMESTAMP NOT NULL, VERIFIED_ BOOLEAN NOT NULL, PURPOSE_ VARCHAR(32), "
                + "ROW_COUNTS_ VARCHAR(8000), VERIFY_VALUE_ VARCHAR(4000), PROC_INST_ID_ VARCHAR(64), "
                + "LAST_RESTORED_ TIMESTAMP)");
        jdbc.execute("CREATE INDEX IF NOT EXISTS OPSFLOW_BACKUP_ENV_IDX ON OPSFLOW_BACKUP (ENVIRONMENT_, TARGET_, "
                + "FINISHED_)");
        jdbc.execute("CREATE TABLE IF NOT EXISTS OPSFLOW_RESTORE (ID_ VARCHAR(64) PRIMARY KEY, "
                + "BACKUP_ID_ VARCHAR(160) NOT NULL, ENVIRONMENT_ VARCHAR(63) NOT NULL, TARGET_ VARCHAR(63) NOT NULL, "
                + "TARGET_KIND_ VARCHAR(16) NOT NULL, DRILL_ BOOLEAN NOT NULL, STARTED_ TIMESTAMP NOT NULL, "
                + "FINISHED_ TIMESTAMP NOT NULL, OUTCOME_ VARCHAR(16) NOT NULL, RTO_SECONDS_ BIGINT, "
                + "RPO_SECONDS_ BIGINT, DETAIL_ VARCHAR(2000), PROC_INST_ID_ VARCHAR(64))");
        jdbc.execute("CREATE INDEX IF NOT EXISTS OPSFLOW_RESTORE_ENV_IDX ON OPSFLOW_RESTORE (ENVIRONMENT_, "
                + "FINISHED_)");
    }

    // ------------------------------------------------------------------ backups

    /** Records a verified offsite copy. Fails (and writes nothing) if the id exists. */
    public void insert(BackupEntry e) {
        jdbc.update("INSERT INTO OPSFLOW_BACKUP (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                e.id(), e.environment(), e.target(), e.kind(), e.source(), e.location(), e.objectKey(), e.sizeBytes(),
                e.sha256(), ts(e.startedAt()), ts(e.finishedAt()), e.verified(), e.purpose(), json(e.rowCounts()),
                e.verifyValue(), e.processInstanceId(), ts(e.lastRestoredAt()));
    }

    public Optional<BackupEntry> find(String id) {
        return jdbc.query("SELECT " + COLUMNS + " FROM OPSFLOW_BACKUP WHERE ID_ = ?", BACKUP, id).stream().findFirst();
    }

    /** Backups of an environment (all when null), newest first. */
    public List<BackupEntry> list(String environment) {
        if (environment == null) {
            return jdbc.query("SELECT " + COLUMNS + " FROM OPSFLOW_BACKUP ORDER BY FINISHED_ DESC, ID_ DESC", BACKUP);
        }
        return jdbc.query("SELECT " + COLUMNS + " FROM OPSFLOW_BACKUP WHERE ENVIRONMENT_ = ? "
                + "ORDER BY FINISHED_ DESC, ID_ DESC", BACKUP, environment);
    }

    /** Backups of one target, newest first. */
    public List<BackupEntry> list(String environment, String target) {
        return jdbc.query("SELECT " + COLUMNS + " FROM OPSFLOW_BACKUP WHERE ENVIRONMENT_ = ? AND TARGET_ = ? "
                + "ORDER BY FINISHED_ DESC, ID_ DESC", BACKUP, environment, target);
    }

    /** The newest verified backup of a target (of any target of the environment when target is null). */
    public Optional<BackupEntry> latest(String environment, String target) {
        List<BackupEntry> all = target == null ? list(environment) : list(environment, target);
        return all.stream().filter(BackupEntry::verified).findFirst();
    }

    public boolean delete(String id) {
        return jdbc.update("DELETE FROM OPSFLOW_BACKUP WHERE ID_ = ?", id) == 1;
    }

    public boolean existsObjectKey(String objectKey) {
        Integer n = jdbc.queryForObject("SELECT COUNT(*) FROM OPSFLOW_BACKUP WHERE OBJECT_KEY_ = ?", Integer.class,
                objectKey);
        return n != null && n > 0;
    }

    public void markRestored(String backupId, Instant at) {
        jdbc.update("UPDATE OPSFLOW_BACKUP SET LAST_RESTORED_ = ? WHERE ID_ = ?", ts(at), backupId);
    }

    // ------------------------------------------------------------------ restores and drills

    public void recordRestore(RestoreRecord r) {
        jdbc.update("DELETE FROM OPSFLOW_RESTORE WHERE ID_ = ?", r.id());
        jdbc.update("INSERT INTO OPSFLOW_RESTORE (ID_, BACKUP_ID_, ENVIRONMENT_, TARGET_, TARGET_KIND_, DRILL_, STARTED_, "
                        + "FINISHED_, OUTCOME_, RTO_SECONDS_, RPO_SECONDS_, DETAIL_, PROC_INST_ID_) "
                        + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                r.id(), r.backupId(), r.environment(), r.target(), r.targetKind(), r.drill(), ts(r.startedAt()),
                ts(r.finishedAt()), r.outcome(), r.rtoSeconds(), r.rpoSeconds(), truncate(r.detail(), 2000),
                r.processInstanceId());
    }

    /** Restores and drills of an environment (all when null), newest first. */
    public List<RestoreRecord> restores(String environment) {
        String sql = "SELECT ID_, BACKUP_ID_, ENVIRONMENT_, TARGET_, TARGET_KIND_, DRILL_, STARTED_, FINISHED_, OUTCOME_, "
                + "RTO_SECONDS_, RPO_SECONDS_, DETAIL_, PROC_INST_ID_ FROM OPSFLOW_RESTORE";
        if (environment == null) {
            return jdbc.query(sql + " ORDER BY FINISHED_ DESC, ID_ DESC", RESTORE);
        }
        return jdbc.query(sql + " WHERE ENVIRONMENT_ = ? ORDER BY FINISHED_ DESC, ID_ DESC", RESTORE, environment);
    }

    /** Empties both tables (tests). */
    void clearForTests() {
        jdbc.update("DELETE FROM OPSFLOW_BACKUP");
        jdbc.update("DELETE FROM OPSFLOW_RESTORE");
    }

    // ------------------------------------------------------------------ mapping

    private static final RowMapper<BackupEntry> BACKUP = (rs, i) -> new BackupEntry(rs.getString("ID_"),
            rs.getString("ENVIRONMENT_"), rs.getString("TARGET_"), rs.getString("KIND_"), rs.getString("SOURCE_"),
            rs.getString("LOCATION_"), rs.getString("OBJECT_KEY_"), rs.getLong("SIZE_"), rs.getString("SHA256_"),
            instant(rs, "STARTED_"), instant(rs, "FINISHED_"), rs.getBoolean("VERIFIED_"), rs.getString("PURPOSE_"),
            counts(rs.getString("ROW_COUNTS_")), rs.getString("VERIFY_VALUE_"), rs.getString("PROC_INST_ID_"), instant(rs, "LAST_RESTORED_"));

    private static final RowMapper<RestoreRecord> RESTORE = (rs, i) -> new RestoreRecord(rs.getString("ID_"),
            rs.getString("BACKUP_ID_"), rs.getString("ENVIRONMENT_"), rs.getString("TARGET_"),
            rs.getString("TARGET_KIND_"), rs.getBoolean("DRILL_"), instant(rs, "STARTED_"), instant(rs, "FINISHED_"),
            rs.getString("OUTCOME_"), longOrNull(rs, "RTO_SECONDS_"), longOrNull(rs, "RPO_SECONDS_"),
            rs.getString("DETAIL_"), rs.getString("PROC_INST_ID_"));

    private static Timestamp ts(Instant i) {
        return i == null ? null : Timestamp.from(i);
    }

    private static Instant instant(ResultSet rs, String col) throws SQLException {
        Timestamp t = rs.getTimestamp(col);
        return t == null ? null : t.toInstant();
    }

    private static Long longOrNull(ResultSet rs, String col) throws SQLException {
        long v = rs.getLong(col);
        return rs.wasNull() ? null : v;
    }

    static String json(Map<String, Long> counts) {
        return RunVariables.toJson(counts == null ? Map.of() : new java.util.TreeMap<>(counts));
    }

    static Map<String, Long> counts(String json) {
        return RunVariables.fromJson(json, COUNTS, "rowCounts", new LinkedHashMap<>());
    }

    private static String truncate(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max - 1) + "…";
    }
}
