package io.opsflow.logs;

import java.time.Instant;
import java.util.List;

/**
 * A change opsflow made to the environment, read from the engine's history: when, which run of which runbook, what
 * it did ({@code action}, e.g. "switched it to 2.0.0-broken"), to which hosts (empty: the whole environment), and
 * whether it undid an earlier change ({@code undo}: a rollback, a switch back; never the cause of new errors).
 */
record Moment(Instant time, String runId, String runbook, String action, List<String> hosts, boolean undo) {
    Moment {
        hosts = List.copyOf(hosts);
    }

    boolean concerns(String host) {
        return hosts.isEmpty() || hosts.contains(host);
    }

    /** "release run 1a2b…" */
    String runLabel() {
        return runbook + " run " + runId;
    }
}
