package io.opsflow.platform.notify;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * One notification, composed inside the run's transaction from the run's own state (never from configuration held in
 * variables) and delivered after it commits.
 *
 * @param event       what happened
 * @param runId       the process instance id
 * @param runbook     the process definition key
 * @param environment the run's environment (routes are per environment); {@code null} when the run has none
 * @param subject     one line: "[opsflow] Approval needed: release-version in production (webapp 1.1.0)"
 * @param lines       the body, line by line (the evidence summary of an approval)
 * @param link        where to act or look (the Tasklist task, the run in Cockpit)
 * @param facts       short key/value facts (runbook, environment, initiator, task id, …), for webhooks
 * @param approverGroup the group an approval waits for, or {@code null}
 * @param initiator   who started the run, or {@code null}
 * @param at          when it happened (engine clock)
 */
public record Notification(NotificationEvent event, String runId, String runbook, String environment, String subject,
                           List<String> lines, String link, Map<String, String> facts, String approverGroup,
                           String initiator, Instant at) {

    public Notification {
        lines = List.copyOf(lines);
        facts = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(facts));
    }

    /** The body as text: the lines, then the link. */
    public String text() {
        StringBuilder b = new StringBuilder();
        for (String line : lines) {
            b.append(line).append('\n');
        }
        if (link != null) {
            b.append('\n').append(link).append('\n');
        }
        return b.toString();
    }
}
