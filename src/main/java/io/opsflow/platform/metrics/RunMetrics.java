package io.opsflow.platform.metrics;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * The meters of runbook runs, each tagged with the runbook (the process definition key): runs started and ended by
 * outcome, run and step durations, approval wait. Tag values are bounded: a runbook key comes from a deployed diagram,
 * an activity id from a diagram, an environment must be a configured one ({@value #OTHER} otherwise, {@value #NONE}
 * without one), an outcome one of {@link #OUTCOMES} ({@code OTHER} otherwise: a forged {@code outcome} start variable
 * cannot add series). No process instance id is ever a tag.
 *
 * <p>Names as Prometheus sees them: {@code opsflow_runs_started_total}, {@code opsflow_runs_ended_total},
 * {@code opsflow_run_duration_seconds_bucket|_count|_sum|_max}, {@code opsflow_step_duration_seconds_*},
 * {@code opsflow_approval_wait_seconds_*}; and the notification counters {@code opsflow_notifications_sent_total},
 * {@code opsflow_notifications_failed_total} (channel × event), registered at 0 before the first notification.
 */
public class RunMetrics {
    public static final String RUNS_STARTED = "opsflow.runs.started";
    public static final String RUNS_ENDED = "opsflow.runs.ended";
    public static final String RUN_DURATION = "opsflow.run.duration";
    public static final String STEP_DURATION = "opsflow.step.duration";
    public static final String APPROVAL_WAIT = "opsflow.approval.wait";
    public static final String NOTIFICATIONS_SENT = "opsflow.notifications.sent";
    public static final String NOTIFICATIONS_FAILED = "opsflow.notifications.failed";

    /** The outcomes runbooks set in {@code outcome}, and the two the engine tells when none is set. */
    public static final Set<String> OUTCOMES = Set.of("SUCCEEDED", "ROLLED_BACK", "FAILED", "REJECTED", "SKIPPED",
            "COMPLETED", "CANCELED");
    public static final String OTHER = "other";
    public static final String NONE = "none";
    /** The notification channels and events (tags of the notification counters). */
    public static final List<String> CHANNELS = List.of("email", "webhook");
    public static final List<String> EVENTS = List.of("approval-needed", "approval-reminder", "approval-rejected",
            "approval-expired", "run-failed", "incident", "rolled-back", "succeeded");

    /**
     * Step histogram buckets: a fixed dozen instead of Micrometer's percentile histogram (about 60 buckets from 100 ms
     * to 2 h), because steps are runbooks × activities series; {@code histogram_quantile} works on either.
     */
    static final Duration[] STEP_BUCKETS = {Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
            Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10),
            Duration.ofSeconds(30), Duration.ofMinutes(1), Duration.ofMinutes(2), Duration.ofMinutes(5),
            Duration.ofMinutes(10), Duration.ofMinutes(30), Duration.ofHours(1)};

    private static final Pattern KEY = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

    private final MeterRegistry registry;
    private final Supplier<Set<String>> environments;

    public RunMetrics(MeterRegistry registry, Supplier<Set<String>> environments) {
        this.registry = registry;
        this.environments = environments;
        for (String channel : CHANNELS) {
            for (String event : EVENTS) {
                Counter.builder(NOTIFICATIONS_SENT).description("Notifications delivered")
                        .tag("channel", channel).tag("event", event).register(registry);
                Counter.builder(NOTIFICATIONS_FAILED)
                        .description("Notifications given up on after their retries (the run went on)")
                        .tag("channel", channel).tag("event", event).register(registry);
            }
        }
    }

    public void runStarted(String runbook, Object environment) {
        Counter.builder(RUNS_STARTED).description("Runbook runs started")
                .tag("runbook", key(runbook)).tag("environment", environment(environment))
                .register(registry).increment();
    }

    public void runEnded(String runbook, Object environment, Object outcome, boolean canceled) {
        Counter.builder(RUNS_ENDED).description("Runbook runs ended, by outcome")
                .tag("runbook", key(runbook)).tag("environment", environment(environment))
                .tag("outcome", outcome(outcome, canceled))
                .register(registry).increment();
    }

    public void runDuration(String runbook, long millis) {
        percentiles(RUN_DURATION, "Duration of runbook runs, start to end", Duration.ofSeconds(1),
                Duration.ofHours(24)).tag("runbook", key(runbook)).register(registry)
                .record(millis, TimeUnit.MILLISECONDS);
    }

    public void stepDuration(String runbook, String activity, long millis) {
        Timer.builder(STEP_DURATION).description("Duration of runbook steps (service, script, send tasks, calls)")
                .tag("runbook", key(runbook)).tag("activity", key(activity))
                .serviceLevelObjectives(STEP_BUCKETS)
                .register(registry).record(millis, TimeUnit.MILLISECONDS);
    }

    public void approvalWait(String runbook, long millis) {
        percentiles(APPROVAL_WAIT, "Time an approval task waited, from creation to decision or end",
                Duration.ofSeconds(10), Duration.ofDays(3)).tag("runbook", key(runbook)).register(registry)
                .record(millis, TimeUnit.MILLISECONDS);
    }

    /** A timer with Micrometer's percentile histogram between {@code min} and {@code max} (one series per runbook). */
    private static Timer.Builder percentiles(String name, String description, Duration min, Duration max) {
        return Timer.builder(name).description(description).publishPercentileHistogram()
                .minimumExpectedValue(min).maximumExpectedValue(max);
    }

    static String key(String value) {
        return value != null && KEY.matcher(value).matches() ? value : OTHER;
    }

    String environment(Object value) {
        if (value == null) {
            return NONE;
        }
        return value instanceof String s && environments.get().contains(s) ? s : OTHER;
    }

    static String outcome(Object value, boolean canceled) {
        if (value == null) {
            return canceled ? "CANCELED" : "COMPLETED";
        }
        return value instanceof String s && OUTCOMES.contains(s) ? s : "OTHER";
    }
}
