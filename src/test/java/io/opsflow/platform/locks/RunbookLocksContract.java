package io.opsflow.platform.locks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * What runbook locks promise, on any database the engine runs on: runs that change the same hosts exclude each other
 * (an environment-wide lock against any lock of its environment), also when two starts race.
 */
abstract class RunbookLocksContract {

    abstract DataSource dataSource();

    JdbcTemplate jdbc() {
        return new JdbcTemplate(dataSource());
    }

    /** Owners "running" as far as the locks can tell: a row in the engine's ACT_RU_EXECUTION. */
    void running(String... processInstanceIds) {
        for (String id : processInstanceIds) {
            jdbc().update("INSERT INTO ACT_RU_EXECUTION (ID_, PROC_INST_ID_) VALUES (?, ?)", id, id);
        }
    }

    @Test
    void anEnvironmentWideLockAndAnApplicationLockOfTheSameEnvironmentExcludeEachOther() {
        RunbookLocks locks = new RunbookLocks(jdbc());
        running("restart-1", "release-1", "release-2", "backup-1");

        locks.acquire(LockNames.platform("staging"), "restart-1");
        assertThatThrownBy(() -> locks.acquire(LockNames.application("staging", "webapp"), "release-1"))
                .isInstanceOf(RunbookLockedException.class)
                .hasMessageContaining("release:staging/webapp").hasMessageContaining("platform:staging")
                .hasMessageContaining("restart-1")
                .satisfies(e -> assertThat(((RunbookLockedException) e).owner()).isEqualTo("restart-1"));
        assertThat(locks.tryAcquire(LockNames.database("staging", "appdb"), "backup-1")).isFalse();
        assertThat(locks.tryAcquire(LockNames.application("production", "webapp"), "release-2"))
                .as("another environment").isTrue();
        assertThat(locks.tryAcquire(LockNames.platform("staging"), "restart-1")).as("re-entrant").isTrue();

        locks.releaseAll("restart-1");
        locks.acquire(LockNames.application("staging", "webapp"), "release-1");
        assertThat(locks.tryAcquire(LockNames.platform("staging"), "restart-1"))
                .as("a restart waits for the release of the same environment").isFalse();
        assertThat(locks.tryAcquire(LockNames.application("staging", "api"), "release-2"))
                .as("another application of the same environment").isTrue();
        assertThat(locks.tryAcquire(LockNames.application("staging", "webapp"), "release-2")).isFalse();
    }

    @Test
    void aLockWhoseRunIsGoneIsTakenOver() {
        RunbookLocks locks = new RunbookLocks(jdbc());
        running("release-9");
        locks.acquire(LockNames.application("staging", "webapp"), "deleted-run");
        locks.acquire(LockNames.platform("staging"), "release-9");
        assertThat(locks.holder(LockNames.platform("staging"))).contains("release-9");
        assertThat(locks.holder(LockNames.application("staging", "webapp"))).isEmpty();
    }

    @Test
    void twoStartsRacingForConflictingLocksAreSerialised() throws Exception {
        RunbookLocks locks = new RunbookLocks(jdbc());
        running("restart-r", "release-r");
        TransactionTemplate tx = new TransactionTemplate(new DataSourceTransactionManager(dataSource()));
        CountDownLatch aHolds = new CountDownLatch(1);
        CountDownLatch bStarted = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<Boolean> a = pool.submit(() -> tx.execute(s -> {
                boolean ok = locks.tryAcquire(LockNames.platform("racing"), "restart-r");
                aHolds.countDown();
                await(bStarted);
                sleepQuietly(300); // B is now waiting (or would have slipped through without serialisation)
                return ok;
            }));
            assertThat(aHolds.await(30, TimeUnit.SECONDS)).isTrue();
            Future<Boolean> b = pool.submit(() -> tx.execute(s -> {
                bStarted.countDown();
                return locks.tryAcquire(LockNames.application("racing", "webapp"), "release-r");
            }));
            assertThat(a.get(60, TimeUnit.SECONDS)).isTrue();
            assertThat(b.get(60, TimeUnit.SECONDS))
                    .as("B read A's committed lock after waiting for A's transaction, instead of slipping past it")
                    .isFalse();
            assertThat(locks.holder(LockNames.application("racing", "webapp"))).isEmpty();
        } finally {
            pool.shutdownNow();
        }
    }

    private static void await(CountDownLatch l) {
        try {
            l.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
