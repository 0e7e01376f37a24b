package io.opsflow.environments;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * When an environment lets runbooks act: its maintenance windows (none = always) and how old an approval may be when
 * a run starts acting ({@code approvalMaxAge}, null = no limit). A run gets its evidence and approval at once, then
 * waits at its diagram's timer ({@code Timer_MaintenanceWindow}) until {@link #waitUntil} says it may go.
 */
public record MaintenancePolicy(List<MaintenanceWindow> windows, Duration approvalMaxAge) {
    public static final MaintenancePolicy ALWAYS = new MaintenancePolicy(List.of(), null);

    public MaintenancePolicy {
        windows = List.copyOf(windows);
    }

    public boolean hasWindows() {
        return !windows.isEmpty();
    }

    /** Whether {@code t} is inside a window (always, when there are none). */
    public boolean isOpen(Instant t) {
        return windows.isEmpty() || windows.stream().anyMatch(w -> w.openedAt(t).isPresent());
    }

    /** The earliest moment at or after {@code t} inside a window. */
    public Instant nextOpen(Instant t) {
        if (isOpen(t)) {
            return t;
        }
        return windows.stream().map(w -> w.nextOpening(t)).flatMap(Optional::stream).min(Instant::compareTo)
                .orElseThrow(() -> new IllegalStateException("no maintenance window of " + windows + " opens again"));
    }

    /**
     * When a run that is ready to act now may go: empty = at once; else the moment to wait for. A requested time
     * ({@code runAt}, checked at start to lie inside a window) is kept while it is still ahead; one that has passed
     * (the approval came later) counts as "as soon as a window is open".
     */
    public Optional<Instant> waitUntil(Instant now, Instant runAt) {
        if (runAt != null && runAt.isAfter(now)) {
            return Optional.of(runAt);
        }
        Instant next = nextOpen(now);
        return next.equals(now) ? Optional.empty() : Optional.of(next);
    }

    /** Whether an approval decided at {@code decidedAt} may still be acted on at {@code now}. */
    public boolean approvalFresh(Instant decidedAt, Instant now) {
        return approvalMaxAge == null || decidedAt == null || !decidedAt.plus(approvalMaxAge).isBefore(now);
    }
}
