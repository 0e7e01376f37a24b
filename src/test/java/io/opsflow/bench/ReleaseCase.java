package io.opsflow.bench;

/**
 * {@code release_50_hosts_s}: a rolling release over 50 sandbox hosts with batch size 10. Not measured yet (see
 * docs/BENCHMARKS.md, "Not measured"): it needs the application booted with a 50-host sandbox environment and the
 * release runbook driven over REST through its approval, which the release package owns.
 */
final class ReleaseCase {
    private final Bench b;

    ReleaseCase(Bench b) {
        this.b = b;
    }

    void run() {
        b.put("release_50_hosts_s", null);
        b.put("release_50_hosts_over_batch_floors", null);
        b.note("release_50_hosts_s", "not measured: needs a 50-host sandbox environment and the release runbook"
                + " driven end to end over REST; see docs/BENCHMARKS.md");
        b.row("rolling release, 50 hosts, batch 10", "null", "-", "-", "(record)");
    }
}
