package io.opsflow.migrate;

import java.util.List;

/** A migration script failed; {@code applied} are those that succeeded before it (now in the database). */
public class MigrationFailedException extends RuntimeException {
    private final String failed;
    private final List<String> applied;

    public MigrationFailedException(String failed, List<String> applied, String error) {
        super("migration " + failed + " failed: " + error
                + (applied.isEmpty() ? "" : " (applied before it: " + applied + ")"));
        this.failed = failed;
        this.applied = List.copyOf(applied);
    }

    public String failed() {
        return failed;
    }

    public List<String> applied() {
        return applied;
    }
}
