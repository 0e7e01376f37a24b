package io.opsflow.step.exec;

import java.util.Objects;
import java.util.function.Supplier;

/**
 * A value built on first use, once, however many threads ask at the same moment: for what is costly to build and only
 * needed when a step runs (SSHJ's configuration, HTTP clients), so the application's start does not wait for it
 * (docs/BENCHMARKS.md "Where memory and startup time go").
 */
public final class Lazy<T> implements Supplier<T> {
    private final Supplier<? extends T> build;
    private volatile T value;

    public Lazy(Supplier<? extends T> build) {
        this.build = Objects.requireNonNull(build, "build");
    }

    /** Whether the value has been built yet. */
    public boolean built() {
        return value != null;
    }

    @Override
    public T get() {
        T v = value;
        if (v == null) {
            synchronized (this) {
                v = value;
                if (v == null) {
                    v = Objects.requireNonNull(build.get(), "Lazy: the builder returned null");
                    value = v;
                }
            }
        }
        return v;
    }
}
