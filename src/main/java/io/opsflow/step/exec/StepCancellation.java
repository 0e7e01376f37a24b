package io.opsflow.step.exec;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The signal that a running step must stop now, observed by whatever the step is running: {@link CommandRunner}
 * kills the local process tree, {@code step.ssh.SshSession} kills the remote process group and closes its channel,
 * both then throw {@link StepCancelledException}. {@code step.lease.JobLease} raises it when the step's job lease is
 * lost (another node may take the job), and binds it to the job's thread for the step's duration; code that hands
 * work to other threads (e.g. {@code SshFanOut}) binds the caller's signal in them with {@link #bind}.
 * <p>
 * Outside a leased job {@link #current()} is {@link #NONE}, which is never cancelled.
 */
public final class StepCancellation {
    private static final Logger LOG = LoggerFactory.getLogger(StepCancellation.class);
    private static final ThreadLocal<StepCancellation> CURRENT = new ThreadLocal<>();

    /** Never cancelled: what a thread without a bound signal observes. */
    public static final StepCancellation NONE = new StepCancellation();

    private final List<Runnable> callbacks = new CopyOnWriteArrayList<>();
    private volatile String reason;

    public static StepCancellation current() {
        StepCancellation c = CURRENT.get();
        return c == null ? NONE : c;
    }

    /** Makes {@code c} this thread's signal until the returned scope is closed (then the previous one again). */
    public static Scope bind(StepCancellation c) {
        StepCancellation previous = CURRENT.get();
        if (c == null || c == NONE) {
            CURRENT.remove();
        } else {
            CURRENT.set(c);
        }
        return () -> {
            if (previous == null) {
                CURRENT.remove();
            } else {
                CURRENT.set(previous);
            }
        };
    }

    /**
     * {@code work} made to observe this thread's signal when another thread runs it (a pool of the step's own): a lost
     * lease then also stops the commands that thread runs.
     */
    public static <T> java.util.concurrent.Callable<T> inheriting(java.util.concurrent.Callable<T> work) {
        StepCancellation signal = current();
        return () -> {
            try (Scope bound = bind(signal)) {
                return work.call();
            }
        };
    }

    public boolean cancelled() {
        return reason != null;
    }

    /** Why the step was stopped; null while it may run. */
    public String reason() {
        return reason;
    }

    /** Stops the step: the first call wins and runs every registered callback once; later calls do nothing. */
    public void cancel(String why) {
        if (this == NONE) {
            throw new IllegalStateException("NONE cannot be cancelled");
        }
        synchronized (this) {
            if (reason != null) {
                return;
            }
            reason = why == null || why.isBlank() ? "cancelled" : why;
        }
        for (Runnable r : callbacks) {
            run(r);
        }
    }

    /**
     * Runs {@code r} when the step is stopped (at once, in this thread, when it already is); closing the returned
     * registration forgets it. Callbacks run in the thread that cancels: they must be quick (kill, close).
     */
    public Registration onCancel(Runnable callback) {
        if (this == NONE) {
            return () -> { };
        }
        java.util.concurrent.atomic.AtomicBoolean once = new java.util.concurrent.atomic.AtomicBoolean();
        Runnable r = () -> {
            if (once.compareAndSet(false, true)) {
                callback.run();
            }
        };
        callbacks.add(r);
        if (cancelled() && callbacks.remove(r)) {
            run(r);
        }
        return () -> callbacks.remove(r);
    }

    /** Throws {@link StepCancelledException} when the step was stopped. */
    public void throwIfCancelled(String what) {
        String why = reason;
        if (why != null) {
            throw new StepCancelledException(why, what);
        }
    }

    private static void run(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.warn("stopping a step: a cancellation callback failed: {}", e.toString());
        }
    }

    /** A binding of a signal to a thread. */
    @FunctionalInterface
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    /** A registered callback. */
    @FunctionalInterface
    public interface Registration extends AutoCloseable {
        @Override
        void close();
    }
}
