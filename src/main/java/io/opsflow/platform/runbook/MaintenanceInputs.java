package io.opsflow.platform.runbook;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;

import io.opsflow.environments.Environments;
import io.opsflow.environments.MaintenancePolicy;

/**
 * {@code runAt}: the optional start input of every runbook that waits for its environment's maintenance window — the
 * moment the run should start acting, an ISO-8601 time with an offset ({@code 2026-12-08T22:30:00Z},
 * {@code 2026-12-08T23:30:00+01:00}). It must lie ahead (at most {@link #MAX_AHEAD}) and, where the environment
 * declares windows, inside one; it is part of what the approver signs.
 */
public final class MaintenanceInputs {
    public static final String RUN_AT = "runAt";
    /** How far ahead a run may be scheduled. */
    public static final Duration MAX_AHEAD = Duration.ofDays(90);

    private MaintenanceInputs() {
    }

    public static InputSpec runAt() {
        return InputSpec.pattern(RUN_AT, "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,9})?)?"
                        + "(Z|[+-][0-9]{2}:[0-9]{2})",
                "an ISO-8601 time with an offset, such as 2026-12-08T22:30:00Z").optional();
    }

    /** The instant of a {@code runAt} value; null for none. */
    public static Instant parse(Object value) {
        if (!(value instanceof String s) || s.isEmpty()) {
            return null;
        }
        return OffsetDateTime.parse(s).toInstant();
    }

    /** Adds "runAt: …" errors: not a time, in the past, too far ahead, or outside every window of the environment. */
    public static void validateRunAt(Map<String, Object> vars, Environments environments, Instant now,
                                     List<String> errors) {
        Instant at;
        try {
            at = parse(vars.get(RUN_AT));
        } catch (DateTimeParseException e) {
            errors.add(RUN_AT + ": not a valid time (" + e.getParsedString() + "): use ISO-8601 with an offset, such as "
                    + "2026-12-08T22:30:00Z");
            return;
        }
        if (at == null) {
            return;
        }
        if (!at.isAfter(now)) {
            errors.add(RUN_AT + ": " + at + " has passed (now " + now + "); leave it empty to run as soon as allowed");
            return;
        }
        if (at.isAfter(now.plus(MAX_AHEAD))) {
            errors.add(RUN_AT + ": " + at + " is more than " + MAX_AHEAD.toDays() + " days ahead");
            return;
        }
        Object env = vars.get("environment");
        MaintenancePolicy policy = environments.maintenance(env instanceof String s ? s : null);
        if (!policy.isOpen(at)) {
            errors.add(RUN_AT + ": " + at + " is outside every maintenance window of " + env + " " + policy.windows()
                    + "; the next one opens at " + policy.nextOpen(at));
        }
    }
}
