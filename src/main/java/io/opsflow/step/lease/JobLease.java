package io.opsflow.step.lease;

import java.sql.Timestamp;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import org.camunda.bpm.engine.impl.cfg.TransactionListener;
import org.camunda.bpm.engine.impl.cfg.TransactionState;
import org.camunda.bpm.engine.impl.context.Context;
import org.camunda.bpm.engine.impl.interceptor.CommandContext;
import org.camunda.bpm.engine.impl.jobexecutor.JobExecutorContext;
import org.camunda.bpm.engine.impl.persistence.entity.JobEntity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Keeps the job of a long step locked while the step runs, so the job executor (of this or any other node) never
 * picks it up a second time (camunda-bpm-platform#2666: a job outliving its lock runs twice — a second concurrent
 * {@code terraform apply} is an outage).
 * <p>
 * While the step runs, a heartbeat pushes the job's {@code LOCK_EXP_TIME_} forward to now + lock time, on its own
 * connection (auto-commit), guarded by the lock owner, without touching {@code REV_} — so the engine's own final
 * delete/update of the job (optimistic locking on {@code REV_}) is unaffected. If the node dies, the heartbeat dies
 * with it and the lock expires after at most one lock time (2 minutes by default): another node resumes the step.
 * Outside a job (a test executing a delegate directly) the lease does nothing.
 * <p>
 * The first heartbeat comes after one to two heartbeat intervals (an interval is a quarter of the lock time), not at
 * once: the job executor has just locked the job for a full lock time, so a step shorter than the interval costs no
 * database write and no timer at all (one sweeper thread extends every lease that has lived an interval). A job that
 * waited in the executor's queue until less than two intervals of its lock were left is extended at once.
 * When the step's transaction rolls back after the lease moved the lock, the lock expiry is put back to the value the
 * engine holds for the job: Camunda's failed-job handling treats a job whose lock expiry changed as acquired again
 * and leaves it alone, which would hold a failed (e.g. optimistic-locking) job for a whole lock time.
 */
@Component
public class JobLease {
    private static final Logger LOG = LoggerFactory.getLogger(JobLease.class);

    private final JdbcTemplate jdbc;
    private final Duration lockTime;
    private final Duration heartbeat;
    private final String tablePrefix;
    /** The leases held now; one sweeper extends those that have lived a heartbeat interval. */
    private final Set<Held> held = ConcurrentHashMap.newKeySet();

    public JobLease(DataSource dataSource,
                    @Value("${camunda.bpm.job-execution.lock-time-in-millis:300000}") long lockTimeMillis,
                    @Value("${camunda.bpm.database.table-prefix:}") String tablePrefix) {
        this.jdbc = new JdbcTemplate(dataSource);
        this.lockTime = Duration.ofMillis(lockTimeMillis);
        this.heartbeat = Duration.ofMillis(Math.max(200, lockTimeMillis / 4));
        this.tablePrefix = tablePrefix == null ? "" : tablePrefix;
        ScheduledExecutorService sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "opsflow-job-lease");
            t.setDaemon(true);
            return t;
        });
        sweeper.scheduleWithFixedDelay(this::sweep, heartbeat.toMillis(), heartbeat.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /**
     * Holds the current job's lock until {@link Lease#close()}; a no-op lease when not running in a job. Holding and
     * closing only add to and remove from a set: a step shorter than a heartbeat interval costs no database write
     * and no timer. The sweeper extends a lease's lock within one to two intervals of its start (the lock time is
     * four intervals), then every interval.
     */
    public Lease hold() {
        JobExecutorContext ctx = Context.getJobExecutorContext();
        JobEntity job = ctx == null ? null : ctx.getCurrentJob();
        if (job == null || job.getLockOwner() == null) {
            return Lease.NONE;
        }
        Held h = new Held(job.getId(), job.getLockOwner(), job.getLockExpirationTime(), System.nanoTime());
        held.add(h);
        if (h.expiresWithin(2 * heartbeat.toMillis())) {
            h.beat(); // the job waited in the executor's queue while its lock ran down
        }
        LOG.debug("holding lease on job {} (owner {}), heartbeat every {} ms", h.jobId, h.owner,
                heartbeat.toMillis());
        return h;
    }

    private void sweep() {
        long now = System.nanoTime();
        for (Held h : held) {
            if (now - h.since >= heartbeat.toNanos() || h.expiresWithin(2 * heartbeat.toMillis())) {
                h.beat();
            }
        }
    }

    /** One held lease: heartbeats and the end of the lease never overlap. */
    private final class Held implements Lease {
        final String jobId;
        final String owner;
        final java.util.Date lockedUntil;
        final long since;
        private volatile long expiresAtMillis;
        private boolean extended;
        private boolean ended;

        Held(String jobId, String owner, java.util.Date lockedUntil, long since) {
            this.jobId = jobId;
            this.owner = owner;
            this.lockedUntil = lockedUntil;
            this.since = since;
            this.expiresAtMillis = lockedUntil == null ? Long.MAX_VALUE : lockedUntil.getTime();
        }

        boolean expiresWithin(long millis) {
            return expiresAtMillis - System.currentTimeMillis() <= millis;
        }

        synchronized void beat() {
            long until = System.currentTimeMillis() + lockTime.toMillis();
            if (!ended && extend(jobId, owner)) {
                extended = true;
                expiresAtMillis = until;
            }
        }

        @Override
        public synchronized void close() {
            end(false);
        }

        synchronized void end(boolean rolledBack) {
            if (ended) {
                return;
            }
            ended = true;
            held.remove(this);
            if (rolledBack && extended) {
                restore(jobId, owner, lockedUntil);
            }
        }
    }

    /**
     * Holds the current job's lock until the engine's transaction for this job ends (commit or rollback). The
     * platform calls this at the start of every service task (see OpsflowEnginePlugin), so every step that runs in
     * a job is covered without each delegate having to remember it.
     */
    public void holdUntilTransactionEnds() {
        CommandContext cc = Context.getCommandContext();
        if (cc == null) {
            return;
        }
        Lease lease = hold();
        if (lease == Lease.NONE) {
            return;
        }
        TransactionListener committed = commandContext -> lease.close();
        TransactionListener rolledBack = commandContext -> {
            if (lease instanceof Held h) {
                h.end(true);
            } else {
                lease.close();
            }
        };
        cc.getTransactionContext().addTransactionListener(TransactionState.COMMITTED, committed);
        cc.getTransactionContext().addTransactionListener(TransactionState.ROLLED_BACK, rolledBack);
    }

    /** Pushes the job's lock expiry to now + lock time; whether the row was still ours. */
    boolean extend(String jobId, String owner) {
        try {
            Timestamp until = new Timestamp(System.currentTimeMillis() + lockTime.toMillis());
            int n = jdbc.update("UPDATE " + tablePrefix + "ACT_RU_JOB SET LOCK_EXP_TIME_ = ? WHERE ID_ = ? AND LOCK_OWNER_ = ?",
                    until, jobId, owner);
            if (n == 0) {
                LOG.warn("job lease for {} lost: the job is no longer locked by {}", jobId, owner);
            }
            return n > 0;
        } catch (RuntimeException e) {
            LOG.warn("job lease heartbeat for {} failed: {}", jobId, e.toString());
            return false;
        }
    }

    /** After a rollback: the lock expiry the engine still holds for the job, so its failure handling runs. */
    void restore(String jobId, String owner, java.util.Date lockedUntil) {
        try {
            jdbc.update("UPDATE " + tablePrefix + "ACT_RU_JOB SET LOCK_EXP_TIME_ = ? WHERE ID_ = ? AND LOCK_OWNER_ = ?",
                    lockedUntil == null ? null : new Timestamp(lockedUntil.getTime()), jobId, owner);
        } catch (RuntimeException e) {
            LOG.warn("job lease for {}: could not restore the lock expiry after a rollback: {}", jobId, e.toString());
        }
    }

    /** A held lease; closing it stops the heartbeat (the engine then completes or fails the job as usual). */
    @FunctionalInterface
    public interface Lease extends AutoCloseable {
        Lease NONE = () -> { };

        @Override
        void close();
    }
}
