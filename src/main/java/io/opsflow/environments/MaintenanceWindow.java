package io.opsflow.environments;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.Optional;

import org.springframework.scheduling.support.CronExpression;

/**
 * One recurring maintenance window of an environment: it opens at every fire time of {@code cron} (Spring's six-field
 * cron: second minute hour day-of-month month day-of-week, e.g. {@code 0 0 22 * * MON-FRI}) in {@code zone} and stays
 * open for {@code duration}. A run may start acting at any moment in {@code [opening, opening + duration)}.
 */
public record MaintenanceWindow(String cron, Duration duration, ZoneId zone) {

    public MaintenanceWindow {
        if (cron == null || cron.isBlank()) {
            throw new IllegalArgumentException("a maintenance window needs a cron (six fields: second minute hour "
                    + "day-of-month month day-of-week, e.g. '0 0 22 * * MON-FRI')");
        }
        try {
            CronExpression.parse(cron);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("maintenance window cron '" + cron + "' is not valid (six fields: "
                    + "second minute hour day-of-month month day-of-week, e.g. '0 0 22 * * MON-FRI'): "
                    + e.getMessage(), e);
        }
        if (duration == null || duration.isNegative() || duration.isZero() || duration.compareTo(Duration.ofDays(7)) > 0) {
            throw new IllegalArgumentException("maintenance window '" + cron + "': duration must be between 1 second "
                    + "and 7 days (ISO-8601, e.g. PT2H), not " + duration);
        }
        zone = zone == null ? ZoneId.of("UTC") : zone;
    }

    /** The opening of the window {@code t} falls in, if it falls in one. */
    public Optional<Instant> openedAt(Instant t) {
        ZonedDateTime opening = CronExpression.parse(cron).next(t.minus(duration).atZone(zone));
        return opening != null && !opening.toInstant().isAfter(t) ? Optional.of(opening.toInstant()) : Optional.empty();
    }

    /** The next opening strictly after {@code t}; empty when the cron never fires again. */
    public Optional<Instant> nextOpening(Instant t) {
        return Optional.ofNullable(CronExpression.parse(cron).next(t.atZone(zone))).map(ZonedDateTime::toInstant);
    }

    @Override
    public String toString() {
        return "'" + cron + "' (" + zone + ") for " + duration;
    }
}
