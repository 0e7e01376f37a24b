package io.opsflow.step.lease;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.Date;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

import io.opsflow.step.exec.StepCancellation;
import io.opsflow.testsupport.RealComponent;

/**
 * The lease heartbeat against PostgreSQL (what a cluster shares), on a job table of a schema of its own: a heartbeat
 * stuck behind a row lock held by another connection delays only its own lease; a heartbeat that keeps failing loses
 * the lease before the lock expires; a transient failure does not; an UPDATE that touches no row loses it at once.
 */
class JobLeaseHeartbeatPostgresIT {
    private static final String URL = "jdbc:postgresql://127.0.0.1:5432/test";
    private final String schema = "lease_it_" + Long.toHexString(System.nanoTime());
    private DriverManagerDataSource ds;
    private JdbcTemplate jdbc;
    private Connection blocker;

    @BeforeEach
    void database() {
        boolean up;
        try (Connection c = java.sql.DriverManager.getConnection(URL, "postgres", "")) {
            up = c.isValid(2);
        } catch (java.sql.SQLException e) {
            up = false;
        }
        RealComponent.available(up, "PostgreSQL at 127.0.0.1:5432 (database test, user postgres)");
        ds = new DriverManagerDataSource(URL, "postgres", "");
        jdbc = new JdbcTemplate(ds);
        jdbc.execute("CREATE SCHEMA " + schema);
        jdbc.execute("CREATE TABLE " + schema + ".ACT_RU_JOB (ID_ VARCHAR(64) PRIMARY KEY, LOCK_OWNER_ VARCHAR(255),"
                + " LOCK_EXP_TIME_ TIMESTAMP)");
    }

    @AfterEach
    void drop() throws Exception {
        if (blocker != null) {
            blocker.rollback();
            blocker.close();
        }
        if (jdbc != null) {
            jdbc.execute("DROP SCHEMA " + schema + " CASCADE");
        }
    }

    private JobLease lease(long lockMillis, Duration queryTimeout, Duration margin) {
        return new JobLease(ds, lockMillis, schema + ".", queryTimeout, margin, 4);
    }

    /** A job row locked by node-a for {@code lockMillis}, and its lease held. */
    private JobLease.Held job(JobLease lease, String id, long lockMillis) {
        Date until = new Date(System.currentTimeMillis() + lockMillis);
        jdbc.update("INSERT INTO " + schema + ".ACT_RU_JOB VALUES (?, 'node-a', ?)", id, new Timestamp(until.getTime()));
        return lease.hold(id, "node-a", until);
    }

    private Timestamp lockExpiry(String id) {
        return jdbc.queryForObject("SELECT LOCK_EXP_TIME_ FROM " + schema + ".ACT_RU_JOB WHERE ID_ = ?",
                Timestamp.class, id);
    }

    /** Another connection takes the row lock of job {@code id} and keeps it until the test releases it. */
    private void blockRow(String id) throws Exception {
        blocker = ds.getConnection();
        blocker.setAutoCommit(false);
        try (var st = blocker.prepareStatement("SELECT ID_ FROM " + schema + ".ACT_RU_JOB WHERE ID_ = ? FOR UPDATE")) {
            st.setString(1, id);
            st.executeQuery().close();
        }
    }

    private void releaseRow() throws Exception {
        blocker.rollback();
        blocker.close();
        blocker = null;
    }

    private int heartbeatsWaitingOnARowLock() {
        return jdbc.queryForObject("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                + " AND query LIKE 'UPDATE " + schema + ".ACT_RU_JOB%'", Integer.class);
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 30 s: " + what);
            }
            Thread.sleep(20);
        }
    }

    @Test
    void aHeartbeatStuckBehindARowLockDoesNotStallTheOtherLeases() throws Exception {
        JobLease lease = lease(4000, Duration.ofSeconds(60), null); // the stuck UPDATE waits as long as the test
        JobLease.Held a = job(lease, "job-a", 4000);
        JobLease.Held b = job(lease, "job-b", 4000);
        blockRow("job-a");

        await("job-a's heartbeat waits on the row lock", () -> heartbeatsWaitingOnARowLock() == 1);
        Timestamp before = lockExpiry("job-b");
        await("job-b's lock extended while job-a's heartbeat is stuck", () -> lockExpiry("job-b").after(before));
        assertThat(heartbeatsWaitingOnARowLock()).as("job-a's UPDATE still stuck").isEqualTo(1);
        assertThat(b.lost()).isFalse();

        releaseRow();
        b.close();
        a.close();
    }

    @Test
    void aHeartbeatThatKeepsFailingLosesTheLeaseBeforeTheLockExpires() throws Exception {
        JobLease lease = lease(6000, Duration.ofSeconds(1), Duration.ofSeconds(2));
        JobLease.Held a = job(lease, "job-a", 6000);
        JobLease.Held b = job(lease, "job-b", 6000);
        StepCancellation stop = a.cancellation;
        blockRow("job-a"); // every heartbeat of job-a now ends in the query timeout

        await("job-a's lease lost", stop::cancelled);
        assertThat(stop.reason()).startsWith("job lease lost for job job-a: no heartbeat succeeded")
                .contains("safety margin of 2000 ms").contains("last failure");
        assertThat(a.failures()).as("failed heartbeats before giving up").isGreaterThanOrEqualTo(1);
        assertThat(a.lostAtMillis()).as("stopped while the lock in the database still held")
                .isLessThan(lockExpiry("job-a").getTime());
        assertThat(b.lost()).isFalse();
        b.close();
        a.close();
    }

    @Test
    void aTransientHeartbeatFailureKeepsTheLease() throws Exception {
        JobLease lease = lease(10_000, Duration.ofSeconds(1), null);
        JobLease.Held a = job(lease, "job-a", 10_000);
        Timestamp first = lockExpiry("job-a");
        blockRow("job-a");
        await("a heartbeat failed on the query timeout", () -> a.failures() >= 1);
        releaseRow();

        await("the lock extended again", () -> lockExpiry("job-a").after(first));
        assertThat(a.lost()).isFalse();
        assertThat(a.cancellation.cancelled()).isFalse();
        a.close();
    }

    @Test
    void anUpdateThatTouchesNoRowLosesTheLeaseAtOnce() throws Exception {
        JobLease lease = lease(4000, Duration.ofSeconds(5), null);
        JobLease.Held a = job(lease, "job-a", 4000);
        jdbc.update("UPDATE " + schema + ".ACT_RU_JOB SET LOCK_OWNER_ = 'node-b' WHERE ID_ = 'job-a'");

        await("job-a's lease lost", a::lost);
        assertThat(a.cancellation.reason()).isEqualTo("job lease lost for job job-a: the job is no longer locked by"
                + " node-a (another node took it, or it was unlocked)");
        assertThat(a.failures()).isZero();
        a.close();
    }
}
