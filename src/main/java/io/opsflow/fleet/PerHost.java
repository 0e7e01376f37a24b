package io.opsflow.fleet;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.opsflow.step.exec.StepCancellation;

/**
 * The hosts of one batch, worked on at once: a runbook step that changes or checks every host of a batch (activate,
 * restore, health gate, restart) runs the host work on up to the environment's {@code parallelism} threads, each
 * carrying the step's {@link StepCancellation} (a lost lease stops every host's command). It waits for every host it
 * started, so no host is left mid-operation when the step fails, and only then fails: with the first failure in item
 * order, the others attached as suppressed exceptions (each names its host). Results come back in item order.
 *
 * <p>With parallelism 1 (or one item) the work runs on the calling thread, in order, exactly as a plain loop: the
 * first failure stops the loop.
 */
public final class PerHost {
    private static final AtomicInteger POOL = new AtomicInteger();

    private PerHost() {
    }

    /** The work for one item. */
    @FunctionalInterface
    public interface Work<T, R> {
        R apply(T item) throws Exception;
    }

    /** {@link #map} without results. */
    @FunctionalInterface
    public interface Action<T> {
        void accept(T item) throws Exception;
    }

    public static <T> void forEach(List<T> items, int parallelism, Action<T> action) {
        map(items, parallelism, item -> {
            action.accept(item);
            return Boolean.TRUE;
        });
    }

    public static <T, R> List<R> map(List<T> items, int parallelism, Work<T, R> work) {
        if (parallelism < 1) {
            throw new IllegalArgumentException("parallelism must be at least 1: " + parallelism);
        }
        List<R> results = new ArrayList<>(items.size());
        if (parallelism == 1 || items.size() <= 1) {
            for (T item : items) {
                results.add(call(work, item));
            }
            return results;
        }
        int threads = Math.min(parallelism, items.size());
        StepCancellation cancellation = StepCancellation.current();
        int pool = POOL.incrementAndGet();
        AtomicInteger n = new AtomicInteger();
        ExecutorService executor = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "per-host-" + pool + "-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        try {
            List<Future<R>> futures = new ArrayList<>();
            for (T item : items) {
                futures.add(executor.submit(() -> {
                    try (StepCancellation.Scope bound = StepCancellation.bind(cancellation)) {
                        return work.apply(item);
                    }
                }));
            }
            Throwable first = null;
            for (Future<R> f : futures) {
                try {
                    results.add(f.get());
                } catch (ExecutionException e) {
                    results.add(null);
                    if (first == null) {
                        first = e.getCause();
                    } else if (first != e.getCause()) {
                        first.addSuppressed(e.getCause());
                    }
                }
            }
            if (first instanceof RuntimeException re) {
                throw re;
            }
            if (first instanceof Error err) {
                throw err;
            }
            if (first != null) {
                throw new IllegalStateException(first.getMessage(), first);
            }
            return results;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            executor.shutdownNow();
            throw new IllegalStateException("interrupted while waiting for " + items.size() + " hosts", e);
        } finally {
            executor.shutdown();
        }
    }

    private static <T, R> R call(Work<T, R> work, T item) {
        try {
            return work.apply(item);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }
}
