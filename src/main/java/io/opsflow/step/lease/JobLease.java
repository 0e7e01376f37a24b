package io.opsflow.step.lease;

import java.sql.Timestamp;
import java.time.Duration;
import java.util.Set;
import java.util.Date;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import javax.sql.DataSource;

import org.camunda.bpm.engine.impl.cfg.TransactionListener;
import org.camunda.bpm.engine.impl.cfg.TransactionState;
import org.camunda.bpm.engine.impl.context.Context;
import org.camunda.bpm.engine.impl.interceptor.CommandContext;
import org.camunda.bpm.engine.impl.jobexecutor.JobExecutorContext;
import org.camunda.bpm.engine.impl.persistence.entity.JobEntity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

import io.opsflow.step.exec.StepCancellation;
import io.opsflow.step.exec.StepCancelledException;

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
 * <p>
 * <b>A lost lease stops the step.</b> The lease is <em>lost</em>
 * <ul>
 * <li>at once when a heartbeat UPDATE touches no row: the job is gone or locked by another owner (another node
 * acquired it after its lock expired, or an operator unlocked it);</li>
 * <li>when no heartbeat has succeeded and the lock the database holds would expire within the safety margin
 * ({@code opsflow.lease.safety-margin}, default one heartbeat interval): from then on another node may acquire the
 * job, so this node must have stopped first.</li>
 * </ul>
 * A heartbeat that fails (database unreachable, query timeout, a row lock held elsewhere) before that point is a
 * transient failure: logged and retried every quarter interval. Losing the lease cancels the step's
 * {@link StepCancellation} (bound to the job's thread while the lease is held): the running local command's process
 * tree is killed ({@code CommandRunner}), a remote command's channel is closed and its process group killed
 * ({@code SshSession}); both throw {@link StepCancelledException}. Whatever the step does next, its transaction
 * cannot commit: a commit guard throws the same exception, so the job fails through the engine's failure handling
 * and nothing of this execution (variables, the next activity) is committed.
 * <p>
 * Heartbeats never stall each other: the sweeper only decides (in memory) which leases are due and hands each due
 * lease's UPDATE to a small pool ({@code opsflow.lease.heartbeat-threads}), at most one in flight per lease; every
 * UPDATE has a query timeout ({@code opsflow.lease.query-timeout}), so a row lock held elsewhere or a hung
 * connection delays only its own lease, and only that long.
 */
@Component
public class JobLease {
    private static final Logger LOG = LoggerFactory.getLogger(JobLease.class);
    static final Duration DEFAULT_QUERY_TIMEOUT = Duration.ofSeconds(5);
    static final int DEFAULT_HEARTBEAT_THREADS = 4;

    private final JdbcTemplate jdbc;
    private final Duration lockTime;
    private final Duration heartbeat;
    private final Duration margin;
    private final Duration retry;
    private final String tablePrefix;
    /** The leases held now; the sweeper submits the heartbeats of those that are due. */
    private final Set<Held> held = ConcurrentHashMap.newKeySet();
    /** The lease held by this thread's job, if any (one lease per job, however many tasks it runs). */
    private final ThreadLocal<Held> current = new ThreadLocal<>();
    private final ExecutorService beats;

    /** Defaults: {@value #DEFAULT_HEARTBEAT_THREADS} heartbeat threads, query timeout 5 s, margin one interval. */
    public JobLease(DataSource dataSource, long lockTimeMillis, String tablePrefix) {
        this(dataSource, lockTimeMillis, tablePrefix, DEFAULT_QUERY_TIMEOUT, null, DEFAULT_HEARTBEAT_THREADS);
    }

    /**
     * @param queryTimeout  the heartbeat UPDATE's query timeout (whole seconds, at least 1)
     * @param safetyMargin  the lease is lost when the lock would expire within this and no heartbeat succeeded;
     *                      null or zero: one heartbeat interval (a quarter of the lock time)
     * @param threads       heartbeat threads (UPDATEs of different leases in flight at once)
     */
    @Autowired
    public JobLease(DataSource dataSource,
                    @Value("${camunda.bpm.job-execution.lock-time-in-millis:300000}") long lockTimeMillis,
                    @Value("${camunda.bpm.database.table-prefix:}") String tablePrefix,
                    @Value("${opsflow.lease.query-timeout:5s}") Duration queryTimeout,
                    @Value("${opsflow.lease.safety-margin:0s}") Duration safetyMargin,
                    @Value("${opsflow.lease.heartbeat-threads:4}") int threads) {
        this.jdbc = new JdbcTemplate(dataSource);
        this.jdbc.setQueryTimeout((int) Math.max(1, (queryTimeout == null ? DEFAULT_QUERY_TIMEOUT : queryTimeout)
                .toSeconds()));
        this.lockTime = Duration.ofMillis(lockTimeMillis);
        this.heartbeat = Duration.ofMillis(Math.max(200, lockTimeMillis / 4));
        this.margin = safetyMargin == null || safetyMargin.isZero() || safetyMargin.isNegative() ? heartbeat
                : safetyMargin;
        if (margin.compareTo(lockTime) >= 0) {
            throw new IllegalArgumentException("opsflow.lease.safety-margin (" + margin
                    + ") must be shorter than the job lock time (" + lockTime + ")");
        }
        this.retry = Duration.ofMillis(Math.max(50, heartbeat.toMillis() / 4));
        this.tablePrefix = tablePrefix == null ? "" : tablePrefix;
        if (threads < 1) {
            throw new IllegalArgumentException("opsflow.lease.heartbeat-threads must be at least 1: " + threads);
        }
        AtomicInteger n = new AtomicInteger();
        this.beats = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(),
                r -> daemon(r, "opsflow-job-lease-beat-" + n.incrementAndGet()));
        ScheduledExecutorService sweeper = Executors.newSingleThreadScheduledExecutor(
                r -> daemon(r, "opsflow-job-lease"));
        sweeper.scheduleWithFixedDelay(this::sweep, retry.toMillis(), retry.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /**
     * Holds the current job's lock until {@link Lease#close()}; a no-op lease when not running in a job. Holding and
     * closing only add to and remove from a set: a step shorter than a heartbeat interval costs no database write
     * and no timer. The sweeper extends a lease's lock within one to two intervals of its start (the lock time is
     * four intervals), then every interval. While held, the lease's {@link StepCancellation} is this thread's.
     */
    public Lease hold() {
        JobExecutorContext ctx = Context.getJobExecutorContext();
        JobEntity job = ctx == null ? null : ctx.getCurrentJob();
        if (job == null || job.getLockOwner() == null) {
            return Lease.NONE;
        }
        return hold(job.getId(), job.getLockOwner(), job.getLockExpirationTime());
    }

    /** Holds the lease of the job {@code jobId} locked by {@code owner} until {@code lockedUntil}, in this thread. */
    Held hold(String jobId, String owner, Date lockedUntil) {
        Held h = new Held(jobId, owner, lockedUntil, System.nanoTime(), current.get());
        h.scope = StepCancellation.bind(h.cancellation);
        current.set(h);
        held.add(h);
        if (h.expiresWithin(2 * heartbeat.toMillis())) {
            h.beat(); // the job waited in the executor's queue while its lock ran down
        }
        LOG.debug("holding lease on job {} (owner {}), heartbeat every {} ms", jobId, owner, heartbeat.toMillis());
        return h;
    }

    private void sweep() {
        try {
            long now = System.nanoTime();
            for (Held h : held) {
                h.check(now);
            }
        } catch (RuntimeException e) {
            LOG.error("job lease sweeper: {}", e.toString(), e); // never let the schedule die
        }
    }

    /** One held lease: heartbeats and the end of the lease never overlap. */
    final class Held implements Lease {
        final String jobId;
        final String owner;
        final Date lockedUntil;
        final long since;
        final StepCancellation cancellation = new StepCancellation();
        private final Held outer;
        private StepCancellation.Scope scope;
        private final AtomicBoolean inFlight = new AtomicBoolean();
        private volatile long expiresAtMillis;
        private volatile long lastAttemptNanos;
        private volatile boolean lastFailed;
        private volatile String lastFailure = "none";
        private volatile long lostAtMillis;
        private final AtomicInteger failures = new AtomicInteger();
        private boolean extended;
        private volatile boolean ended;

        Held(String jobId, String owner, Date lockedUntil, long since, Held outer) {
            this.jobId = jobId;
            this.owner = owner;
            this.lockedUntil = lockedUntil;
            this.since = since;
            this.outer = outer;
            this.lastAttemptNanos = since;
            this.expiresAtMillis = lockedUntil == null ? Long.MAX_VALUE : lockedUntil.getTime();
        }

        boolean expiresWithin(long millis) {
            return expiresAtMillis - System.currentTimeMillis() <= millis;
        }

        /** The sweeper's look at this lease: lost past the margin; otherwise a heartbeat submitted when due. */
        void check(long nowNanos) {
            if (ended || cancellation.cancelled()) {
                return;
            }
            if (expiresWithin(margin.toMillis())) {
                lose("no heartbeat succeeded and the job's lock expires within the safety margin of "
                        + margin.toMillis() + " ms (last failure: " + lastFailure + ")");
                return;
            }
            long sinceAttempt = nowNanos - lastAttemptNanos;
            boolean due = lastFailed ? sinceAttempt >= retry.toNanos()
                    : sinceAttempt >= heartbeat.toNanos() || expiresWithin(2 * heartbeat.toMillis());
            if (due && inFlight.compareAndSet(false, true)) {
                lastAttemptNanos = nowNanos;
                try {
                    beats.execute(() -> {
                        try {
                            beat();
                        } finally {
                            inFlight.set(false);
                        }
                    });
                } catch (RuntimeException e) {
                    inFlight.set(false);
                    throw e;
                }
            }
        }

        synchronized void beat() {
            if (ended || cancellation.cancelled()) {
                return;
            }
            long until = System.currentTimeMillis() + lockTime.toMillis();
            Boolean ours;
            try {
                ours = extend(jobId, owner, until);
            } catch (RuntimeException e) {
                lastFailed = true;
                lastFailure = e.toString();
                failures.incrementAndGet();
                LOG.warn("job lease heartbeat for {} failed (transient until {} ms before the lock expires): {}",
                        jobId, margin.toMillis(), e.toString());
                return;
            }
            lastFailed = false;
            if (ours) {
                extended = true;
                expiresAtMillis = until;
            } else {
                lose("the job is no longer locked by " + owner + " (another node took it, or it was unlocked)");
            }
        }

        private void lose(String why) {
            lostAtMillis = System.currentTimeMillis();
            String reason = "job lease lost for job " + jobId + ": " + why;
            LOG.error("{}; stopping the step: its command is killed and the job fails", reason);
            cancellation.cancel(reason);
        }

        /** How many heartbeats failed (transiently) so far. */
        int failures() {
            return failures.get();
        }

        boolean lost() {
            return cancellation.cancelled();
        }

        /** When the lease was found lost (0 while held). */
        long lostAtMillis() {
            return lostAtMillis;
        }

        long expiresAtMillis() {
            return expiresAtMillis;
        }

        @Override
        public void close() {
            end(false);
        }

        void end(boolean rolledBack) {
            synchronized (this) {
                if (ended) {
                    return;
                }
                ended = true;
                held.remove(this);
                if (rolledBack && extended) { // also when lost: a no-op unless the row is still ours
                    restore(jobId, owner, lockedUntil);
                }
            }
            if (current.get() == this) {
                if (outer == null) {
                    current.remove();
                } else {
                    current.set(outer);
                }
                scope.close();
            }
        }
    }

    /**
     * Holds the current job's lock until the engine's transaction for this job ends (commit or rollback). The
     * platform calls this at the start of every service task (see OpsflowEnginePlugin), so every step that runs in
     * a job is covered without each delegate having to remember it. A job that runs several tasks in one transaction
     * holds one lease. If the lease is lost, the transaction cannot commit ({@link StepCancelledException}).
     */
    public void holdUntilTransactionEnds() {
        CommandContext cc = Context.getCommandContext();
        if (cc == null) {
            return;
        }
        JobExecutorContext ctx = Context.getJobExecutorContext();
        JobEntity job = ctx == null ? null : ctx.getCurrentJob();
        Held mine = current.get();
        if (mine != null && !mine.ended && job != null && mine.jobId.equals(job.getId())) {
            return; // a later task of the same job: its lease is held already
        }
        Lease lease = hold();
        if (!(lease instanceof Held h)) {
            return;
        }
        TransactionListener committing = commandContext -> h.cancellation.throwIfCancelled(
                "nothing of this execution is committed");
        TransactionListener committed = commandContext -> h.end(false);
        TransactionListener rolledBack = commandContext -> h.end(true);
        cc.getTransactionContext().addTransactionListener(TransactionState.COMMITTING, committing);
        cc.getTransactionContext().addTransactionListener(TransactionState.COMMITTED, committed);
        cc.getTransactionContext().addTransactionListener(TransactionState.ROLLED_BACK, rolledBack);
        if (org.springframework.transaction.support.TransactionSynchronizationManager.isSynchronizationActive()) {
            // Under Spring, Camunda's COMMITTED/ROLLED_BACK listeners miss a commit that failed (the database went
            // away: Spring reports STATUS_UNKNOWN): the lease would then be heartbeated for ever and hold the job
            // locked on a live node. Whatever the outcome, the lease ends with the transaction.
            org.springframework.transaction.support.TransactionSynchronizationManager.registerSynchronization(
                    new org.springframework.transaction.support.TransactionSynchronization() {
                        @Override
                        public void afterCompletion(int status) {
                            h.end(status != STATUS_COMMITTED);
                        }
                    });
        }
    }

    /**
     * Pushes the job's lock expiry to {@code until}; whether the row was still ours. Throws when the UPDATE failed
     * (timeout, connection): a transient failure.
     */
    boolean extend(String jobId, String owner, long until) {
        int n = jdbc.update("UPDATE " + tablePrefix + "ACT_RU_JOB SET LOCK_EXP_TIME_ = ? WHERE ID_ = ? AND LOCK_OWNER_ = ?",
                new Timestamp(until), jobId, owner);
        return n > 0;
    }

    /** After a rollback: the lock expiry the engine still holds for the job, so its failure handling runs. */
    void restore(String jobId, String owner, Date lockedUntil) {
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
