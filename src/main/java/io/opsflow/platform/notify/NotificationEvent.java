package io.opsflow.platform.notify;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;

/**
 * What a notification is about. {@link #tag()} is the name used in configuration ({@code opsflow.notifications.routes})
 * and as the {@code event} tag of the {@code opsflow.notifications.sent|failed} counters.
 */
public enum NotificationEvent {
    APPROVAL_NEEDED("approval-needed", "Approval needed"),
    APPROVAL_REMINDER("approval-reminder", "Approval still needed"),
    APPROVAL_REJECTED("approval-rejected", "Approval rejected"),
    APPROVAL_EXPIRED("approval-expired", "Approval deadline passed"),
    RUN_FAILED("run-failed", "Run failed"),
    INCIDENT("incident", "Incident"),
    ROLLED_BACK("rolled-back", "Rolled back"),
    SUCCEEDED("succeeded", "Succeeded");

    private final String tag;
    private final String title;

    NotificationEvent(String tag, String title) {
        this.tag = tag;
        this.title = title;
    }

    public String tag() {
        return tag;
    }

    public String title() {
        return title;
    }

    /** Events addressed to the approver group (the others go to the run's initiator). */
    public boolean forApprovers() {
        return this == APPROVAL_NEEDED || this == APPROVAL_REMINDER;
    }

    /**
     * The events a configured name stands for: an event's tag, {@code all}, {@code approvals} (the four approval
     * events) or {@code failures} (run-failed, incident, rolled-back). Anything else is refused naming the choices.
     */
    public static Set<NotificationEvent> named(String name) {
        switch (name) {
            case "all" -> {
                return EnumSet.allOf(NotificationEvent.class);
            }
            case "approvals" -> {
                return EnumSet.of(APPROVAL_NEEDED, APPROVAL_REMINDER, APPROVAL_REJECTED, APPROVAL_EXPIRED);
            }
            case "failures" -> {
                return EnumSet.of(RUN_FAILED, INCIDENT, ROLLED_BACK);
            }
            default -> {
                for (NotificationEvent e : values()) {
                    if (e.tag.equals(name)) {
                        return EnumSet.of(e);
                    }
                }
                throw new IllegalArgumentException("unknown notification event '" + name + "'; expected all, approvals,"
                        + " failures or one of " + Arrays.stream(values()).map(NotificationEvent::tag).toList());
            }
        }
    }
}
