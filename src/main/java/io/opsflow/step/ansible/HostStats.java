package io.opsflow.step.ansible;

/** Ansible's per-host recap: task results counted per state (failed excludes ignored errors, which count apart). */
public record HostStats(int ok, int changed, int failed, int unreachable, int skipped, int rescued, int ignored) {

    public HostStats(int ok, int changed, int failed, int unreachable, int skipped) {
        this(ok, changed, failed, unreachable, skipped, 0, 0);
    }
}
