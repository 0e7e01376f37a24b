package io.opsflow.step.exec;

import java.nio.file.Path;

/**
 * The log of one step run: every line of every command the step ran, in order, as it came, secrets masked.
 * Kept whole out of band (see {@link StepLogs}); {@link #tail()} is the last few KB for a process variable.
 */
public interface StepLog extends AutoCloseable {

    /** Appends one line. {@code stream} is a short tag such as {@code out}, {@code err}, {@code cmd}, {@code step}. */
    void line(String stream, String text);

    /** Adds a value to mask in every later line. */
    void addSecret(String secret);

    /** The last few KB of the log (the whole log when shorter). */
    String tail();

    /** Where the whole log is stored; null for in-memory logs. */
    Path path();

    @Override
    void close();

    default void info(String text) {
        line("step", text);
    }
}
