package io.opsflow.release;

import java.util.Set;

/**
 * Outcome of a health check: healthy or not, a human-readable detail (status codes, body, which check failed) and the
 * versions that answered ({@code /version}), so a gate can tell "healthy but still the old version" apart.
 */
public record HealthResult(boolean healthy, String detail, Set<String> observedVersions) {

    public HealthResult {
        observedVersions = observedVersions == null ? Set.of() : Set.copyOf(observedVersions);
    }

    public static HealthResult ok(String detail, String version) {
        return new HealthResult(true, detail, version == null ? Set.of() : Set.of(version));
    }

    public static HealthResult failed(String detail) {
        return new HealthResult(false, detail, Set.of());
    }
}
