package io.opsflow.platform.locks;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Named locks ("release:staging/webapp", "backup:production/db") held by a process instance, stored in opsflow's
 * own table in the engine's database and written in the engine's transaction: a lock is taken together with the
 * start of the run or not at all, and released when the run ends. A lock whose owner is no longer running (the
 * instance was deleted without listeners, the database restored…) is taken over instead of blocking forever.
 */
@Component
public class RunbookLocks {
    private final JdbcTemplate jdbc;

    public RunbookLocks(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
        jdbc.execute("CREATE TABLE IF NOT EXISTS OPSFLOW_LOCK (NAME_ VARCHAR(200) PRIMARY KEY, "
                + "OWNER_ VARCHAR(64) NOT NULL, ACQUIRED_ TIMESTAMP NOT NULL)");
    }

    /** Takes the lock for {@code owner} or throws {@link RunbookLockedException}. Re-entrant for the same owner. */
    public void acquire(String name, String owner) {
        if (!tryAcquire(name, owner)) {
            throw new RunbookLockedException(name, holder(name).orElse("?"));
        }
    }

    /** Takes the lock if free (or stale); returns whether {@code owner} holds it now. */
    public boolean tryAcquire(String name, String owner) {
        Optional<String> current = holder(name);
        if (current.isPresent()) {
            if (current.get().equals(owner)) {
                return true;
            }
            if (isRunning(current.get())) {
                return false;
            }
            int n = jdbc.update("UPDATE OPSFLOW_LOCK SET OWNER_ = ?, ACQUIRED_ = ? WHERE NAME_ = ? AND OWNER_ = ?",
                    owner, Timestamp.from(Instant.now()), name, current.get());
            return n == 1;
        }
        try {
            jdbc.update("INSERT INTO OPSFLOW_LOCK (NAME_, OWNER_, ACQUIRED_) VALUES (?, ?, ?)", name, owner,
                    Timestamp.from(Instant.now()));
            return true;
        } catch (DuplicateKeyException raced) {
            throw new RunbookLockedException(name, "another run that started at the same moment");
        }
    }

    public Optional<String> holder(String name) {
        List<String> owners = jdbc.queryForList("SELECT OWNER_ FROM OPSFLOW_LOCK WHERE NAME_ = ?", String.class,
                name);
        return owners.stream().findFirst();
    }

    public void release(String name, String owner) {
        jdbc.update("DELETE FROM OPSFLOW_LOCK WHERE NAME_ = ? AND OWNER_ = ?", name, owner);
    }

    public int releaseAll(String owner) {
        return jdbc.update("DELETE FROM OPSFLOW_LOCK WHERE OWNER_ = ?", owner);
    }

    public List<Map<String, Object>> list() {
        return jdbc.queryForList("SELECT NAME_ AS name, OWNER_ AS owner, ACQUIRED_ AS acquired FROM OPSFLOW_LOCK "
                + "ORDER BY NAME_");
    }

    private boolean isRunning(String processInstanceId) {
        Integer n = jdbc.queryForObject("SELECT COUNT(*) FROM ACT_RU_EXECUTION WHERE PROC_INST_ID_ = ?",
                Integer.class, processInstanceId);
        return n != null && n > 0;
    }
}
