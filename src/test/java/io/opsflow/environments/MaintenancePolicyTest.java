package io.opsflow.environments;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import io.opsflow.platform.runbook.MaintenanceInputs;

/** When a run may act: windows opening on a cron for a duration, in a time zone; requested times; approval age. */
class MaintenancePolicyTest {
    static final MaintenanceWindow WEEKNIGHTS = new MaintenanceWindow("0 0 22 * * MON-FRI", Duration.ofHours(2),
            ZoneId.of("Europe/Berlin"));
    static final MaintenancePolicy POLICY = new MaintenancePolicy(List.of(WEEKNIGHTS), Duration.ofHours(12));

    @Test
    void aWindowIsOpenFromItsOpeningForItsDurationInItsZone() {
        // Tuesday 2026-12-08, 22:00 in Berlin = 21:00 UTC
        assertThat(POLICY.isOpen(Instant.parse("2026-12-08T20:59:59Z"))).isFalse();
        assertThat(POLICY.isOpen(Instant.parse("2026-12-08T21:00:00Z"))).isTrue();
        assertThat(POLICY.isOpen(Instant.parse("2026-12-08T22:59:59Z"))).isTrue();
        assertThat(POLICY.isOpen(Instant.parse("2026-12-08T23:00:00Z"))).isFalse();
        assertThat(WEEKNIGHTS.openedAt(Instant.parse("2026-12-08T22:30:00Z")))
                .contains(Instant.parse("2026-12-08T21:00:00Z"));
    }

    @Test
    void outsideAWindowTheRunWaitsForTheNextOpeningAndAWeekendIsSkipped() {
        assertThat(POLICY.waitUntil(Instant.parse("2026-12-08T12:00:00Z"), null))
                .contains(Instant.parse("2026-12-08T21:00:00Z"));
        // Saturday noon: the next weeknight window is Monday 22:00 Berlin
        assertThat(POLICY.waitUntil(Instant.parse("2026-12-12T12:00:00Z"), null))
                .contains(Instant.parse("2026-12-14T21:00:00Z"));
        assertThat(POLICY.waitUntil(Instant.parse("2026-12-08T21:30:00Z"), null)).isEmpty();
    }

    @Test
    void aRequestedTimeAheadIsKeptAndOneThatHasPassedMeansAsSoonAsAllowed() {
        Instant now = Instant.parse("2026-12-08T21:10:00Z");
        assertThat(POLICY.waitUntil(now, Instant.parse("2026-12-08T22:15:00Z")))
                .contains(Instant.parse("2026-12-08T22:15:00Z"));
        assertThat(POLICY.waitUntil(now, Instant.parse("2026-12-08T21:05:00Z"))).isEmpty();
    }

    @Test
    void withoutWindowsARunGoesAtOnceAndApprovalsNeverAge() {
        Instant now = Instant.parse("2026-12-08T12:00:00Z");
        assertThat(MaintenancePolicy.ALWAYS.waitUntil(now, null)).isEqualTo(Optional.empty());
        assertThat(MaintenancePolicy.ALWAYS.approvalFresh(now.minus(Duration.ofDays(30)), now)).isTrue();
    }

    @Test
    void anApprovalIsFreshUpToItsMaximumAge() {
        Instant decided = Instant.parse("2026-12-08T09:00:00Z");
        assertThat(POLICY.approvalFresh(decided, decided.plus(Duration.ofHours(12)))).isTrue();
        assertThat(POLICY.approvalFresh(decided, decided.plus(Duration.ofHours(12)).plusSeconds(1))).isFalse();
    }

    @Test
    void aBadWindowIsRefusedAtStartupNamingTheSetting() {
        EnvironmentsProperties p = new EnvironmentsProperties();
        EnvironmentsProperties.EnvironmentSpec s = new EnvironmentsProperties.EnvironmentSpec();
        EnvironmentsProperties.WindowSpec w = new EnvironmentsProperties.WindowSpec();
        w.setCron("0 22 * * MON-FRI"); // five fields: Unix cron, not Spring's six
        w.setDuration(Duration.ofHours(2));
        s.getMaintenanceWindows().add(w);
        p.getEnvironments().put("production", s);
        assertThatThrownBy(() -> new Environments(p)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("opsflow.environments.production.maintenance-windows")
                .hasMessageContaining("six fields");
        w.setCron("0 0 22 * * MON-FRI");
        w.setDuration(Duration.ZERO);
        assertThatThrownBy(() -> new Environments(p)).hasMessageContaining("duration must be between");
        w.setDuration(Duration.ofHours(1));
        w.setZone("Mars/Olympus");
        assertThatThrownBy(() -> new Environments(p)).hasMessageContaining("maintenance-windows");
        w.setZone("UTC");
        s.setApprovalMaxAge(Duration.ofHours(-1));
        assertThatThrownBy(() -> new Environments(p)).hasMessageContaining("approval-max-age must be positive");
    }

    @Test
    void aRequestedTimeMustBeAheadAndInsideAWindow() {
        EnvironmentsProperties p = new EnvironmentsProperties();
        EnvironmentsProperties.EnvironmentSpec s = new EnvironmentsProperties.EnvironmentSpec();
        EnvironmentsProperties.WindowSpec w = new EnvironmentsProperties.WindowSpec();
        w.setCron("0 0 22 * * *");
        w.setDuration(Duration.ofHours(2));
        s.getMaintenanceWindows().add(w);
        p.getEnvironments().put("production", s);
        p.getEnvironments().put("staging", new EnvironmentsProperties.EnvironmentSpec());
        Environments envs = new Environments(p);
        Instant now = Instant.parse("2026-12-08T12:00:00Z");

        assertThat(errors(envs, "production", "2026-12-08T22:30:00Z", now)).isEmpty();
        assertThat(errors(envs, "production", "2026-12-08T15:00:00Z", now)).singleElement().asString()
                .contains("outside every maintenance window of production").contains("2026-12-08T22:00:00Z");
        assertThat(errors(envs, "staging", "2026-12-08T15:00:00Z", now)).as("no windows: any time ahead").isEmpty();
        assertThat(errors(envs, "staging", "2026-12-08T11:00:00Z", now)).singleElement().asString()
                .contains("has passed");
    }

    static List<String> errors(Environments envs, String env, String runAt, Instant now) {
        List<String> errors = new ArrayList<>();
        MaintenanceInputs.validateRunAt(java.util.Map.of("environment", env, "runAt", runAt), envs, now, errors);
        return errors;
    }
}
