package io.opsflow.logs;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;

/**
 * The time window of a run: {@code window} (an ISO-8601 duration back from the start, e.g. {@code PT30M}) or
 * {@code from} and {@code to} (ISO-8601 instants with an offset, e.g. {@code 2026-12-06T21:00:00Z}); neither means
 * the last {@value #DEFAULT} . Resolved once, when the run starts, to whole seconds.
 */
record LogWindow(Instant from, Instant to) {
    static final String DEFAULT = "PT30M";
    /** How far {@code to} may lie in the future (clock skew between opsflow and the hosts). */
    static final Duration SKEW = Duration.ofMinutes(1);

    /** The window of these start variables at {@code now}; problems go to {@code errors} and null is returned. */
    static LogWindow resolve(Map<String, Object> vars, Instant now, Duration maxWindow, List<String> errors) {
        String window = blankToNull(vars.get("window"));
        String from = blankToNull(vars.get("from"));
        String to = blankToNull(vars.get("to"));
        if (window != null && (from != null || to != null)) {
            errors.add("window: give either window (a duration back from now) or from and to, not both");
            return null;
        }
        if ((from == null) != (to == null)) {
            errors.add((from == null ? "from" : "to") + ": from and to go together (or give window instead)");
            return null;
        }
        Instant end;
        Instant start;
        if (from != null) {
            try {
                start = OffsetDateTime.parse(from).toInstant();
                end = OffsetDateTime.parse(to).toInstant();
            } catch (DateTimeParseException e) {
                errors.add("from/to: must be ISO-8601 times with an offset, e.g. 2026-12-06T21:00:00Z");
                return null;
            }
            if (!start.isBefore(end)) {
                errors.add("from: must be before to");
                return null;
            }
            if (end.isAfter(now.plus(SKEW))) {
                errors.add("to: lies in the future");
                return null;
            }
        } else {
            Duration d;
            try {
                d = Duration.parse(window == null ? DEFAULT : window);
            } catch (DateTimeParseException e) {
                errors.add("window: must be an ISO-8601 duration such as PT30M or PT2H");
                return null;
            }
            if (d.isNegative() || d.isZero()) {
                errors.add("window: must be longer than zero");
                return null;
            }
            if (d.compareTo(maxWindow) > 0) {
                errors.add("window: at most " + maxWindow + " (opsflow.logs.max-window)");
                return null;
            }
            end = now;
            start = now.minus(d);
        }
        if (Duration.between(start, end).compareTo(maxWindow) > 0) {
            errors.add("from/to: the window may be at most " + maxWindow + " long (opsflow.logs.max-window)");
            return null;
        }
        return new LogWindow(start.truncatedTo(ChronoUnit.SECONDS), end.truncatedTo(ChronoUnit.SECONDS));
    }

    private static String blankToNull(Object o) {
        return o instanceof String s && !s.isBlank() ? s : null;
    }
}
