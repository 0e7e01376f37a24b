package io.opsflow.step.ssh;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.springframework.stereotype.Component;

import io.opsflow.step.exec.StepCancellation;

/**
 * Runs a function on many hosts with a parallelism limit of its own: a bounded executor per call, so hosts never
 * wait for one thread or one connection. Each host gets ONE session, taken from the connection pool
 * ({@link SshConnections#open}: connected, verified and authenticated in the worker thread when no pooled connection
 * to it is alive) and used for all commands the function runs on it, then returned. Every host's outcome is
 * collected; one host failing neither stops nor hides the others.
 */
@Component
public class SshFanOut {
    private static final AtomicInteger POOL = new AtomicInteger();
    private final SshConnections connections;

    public SshFanOut(SshConnections connections) {
        this.connections = connections;
    }

    /** What to do on one host, over that host's single connection. */
    @FunctionalInterface
    public interface HostTask<T> {
        T apply(SshSession session) throws Exception;
    }

    /**
     * Runs {@code task} for every target, at most {@code parallelism} hosts at a time, and waits for all.
     * Outcomes come back in the order of {@code targets}.
     */
    public <T> FanOutResult<T> forEach(List<SshTarget> targets, int parallelism, HostTask<T> task) {
        if (targets == null || task == null) {
            throw new IllegalArgumentException("targets and task are required");
        }
        if (parallelism < 1) {
            throw new IllegalArgumentException("parallelism must be at least 1: " + parallelism);
        }
        Set<String> seen = new HashSet<>();
        for (SshTarget t : targets) {
            if (t == null) {
                throw new IllegalArgumentException("targets must not contain null");
            }
            if (!seen.add(t.display())) {
                throw new IllegalArgumentException("duplicate ssh target " + t.display()
                        + ": one connection per host, list each host once");
            }
        }
        if (targets.isEmpty()) {
            return new FanOutResult<>(List.of());
        }
        int threads = Math.min(parallelism, targets.size());
        StepCancellation cancellation = StepCancellation.current(); // the hosts' threads observe the step's signal
        int pool = POOL.incrementAndGet();
        AtomicInteger n = new AtomicInteger();
        ExecutorService executor = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "ssh-fanout-" + pool + "-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        try {
            List<Future<FanOutResult.HostOutcome<T>>> futures = new ArrayList<>();
            for (SshTarget t : targets) {
                futures.add(executor.submit(() -> {
                    try (StepCancellation.Scope bound = StepCancellation.bind(cancellation)) {
                        return runOne(t, task);
                    }
                }));
            }
            List<FanOutResult.HostOutcome<T>> outcomes = new ArrayList<>();
            for (Future<FanOutResult.HostOutcome<T>> f : futures) {
                try {
                    outcomes.add(f.get());
                } catch (ExecutionException e) {
                    // only Errors get here (runOne catches every Exception): do not swallow them
                    if (e.getCause() instanceof Error err) {
                        throw err;
                    }
                    throw new IllegalStateException(e.getCause());
                }
            }
            return new FanOutResult<>(outcomes);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SshException("interrupted while waiting for " + targets.size() + " hosts", e);
        } finally {
            executor.shutdownNow();
        }
    }

    private <T> FanOutResult.HostOutcome<T> runOne(SshTarget target, HostTask<T> task) {
        long start = System.nanoTime();
        try (SshSession session = connections.open(target)) {
            T value = task.apply(session);
            return new FanOutResult.HostOutcome<>(target, value, null, Duration.ofNanos(System.nanoTime() - start));
        } catch (Exception e) {
            return new FanOutResult.HostOutcome<>(target, null, e, Duration.ofNanos(System.nanoTime() - start));
        }
    }
}
