package io.opsflow.platform.metrics;

import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import org.camunda.bpm.engine.IdentityService;
import org.camunda.bpm.engine.ManagementService;
import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.RuntimeService;
import org.camunda.bpm.engine.TaskService;
import org.camunda.bpm.engine.impl.ProcessDefinitionQueryImpl;
import org.camunda.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl;
import org.camunda.bpm.engine.impl.identity.Authentication;
import org.camunda.bpm.engine.impl.interceptor.CommandExecutor;
import org.camunda.bpm.engine.repository.ProcessDefinition;
import org.camunda.bpm.engine.runtime.Incident;
import org.camunda.bpm.engine.task.Task;
import org.springframework.stereotype.Component;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.opsflow.platform.approval.FourEyesGuard;
import io.opsflow.platform.locks.RunbookLocks;

/**
 * Camunda 7 ships no Micrometer integration: these gauges query the engine (and opsflow's lock table) at scrape time
 * (Prometheus endpoint {@code /actuator/prometheus}). The queries run without the scraping user's authentication, so
 * every scraper sees the same numbers. The run counters and durations are {@link RunMetrics}.
 */
@Component
public class EngineMetrics implements MeterBinder {
    /** A scrape reads many gauges; the engine and lock table are queried at most once per this. */
    static final Duration FRESH = Duration.ofSeconds(2);

    private final ProcessEngine engine;
    private final RunbookLocks locks;
    private final Map<String, String> keyByDefinitionId = new ConcurrentHashMap<>();
    private final Cached<Map<String, Long>> incidentsByRunbook;
    private final Cached<List<Incident>> incidents;
    private final Cached<List<Map<String, Object>>> heldLocks;

    public EngineMetrics(ProcessEngine engine, RunbookLocks locks) {
        this.engine = engine;
        this.locks = locks;
        this.incidents = new Cached<>(() -> unauthenticated(() -> engine.getRuntimeService().createIncidentQuery()
                .list()));
        this.incidentsByRunbook = new Cached<>(() -> {
            Map<String, Long> counts = new HashMap<>();
            for (Incident i : incidents.get()) {
                counts.merge(runbookOf(i.getProcessDefinitionId()), 1L, Long::sum);
            }
            return counts;
        });
        this.heldLocks = new Cached<>(locks::list);
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        RuntimeService runtime = engine.getRuntimeService();
        ManagementService mgmt = engine.getManagementService();
        TaskService tasks = engine.getTaskService();
        Gauge.builder("opsflow.runs.active", () -> unauthenticated(() ->
                        runtime.createProcessInstanceQuery().active().count()))
                .description("Runbook runs in progress").register(registry);
        for (String runbook : runbooks()) {
            Gauge.builder("opsflow.incidents.open", () -> incidentsByRunbook.get().getOrDefault(runbook, 0L))
                    .description("Open incidents (steps that failed after all retries), per runbook")
                    .tag("runbook", runbook).register(registry);
        }
        Gauge.builder("opsflow.incidents.oldest.age", () -> ageOf(incidents.get().stream()
                        .map(Incident::getIncidentTimestamp).min(Date::compareTo).orElse(null)))
                .baseUnit("seconds").description("Age of the oldest open incident (0 when none)")
                .register(registry);
        Gauge.builder("opsflow.jobs.failed", () -> unauthenticated(() -> mgmt.createJobQuery().noRetriesLeft()
                        .count()))
                .description("Jobs without retries left").register(registry);
        Gauge.builder("opsflow.jobs.executable", () -> unauthenticated(() -> mgmt.createJobQuery().executable()
                        .count()))
                .description("Jobs due for execution (backlog of the job executor)").register(registry);
        Gauge.builder("opsflow.approvals.waiting", () -> unauthenticated(() -> tasks.createTaskQuery()
                        .taskDefinitionKey(FourEyesGuard.APPROVAL_TASK_ID).count()))
                .description("Approval tasks waiting for an approver").register(registry);
        Gauge.builder("opsflow.approvals.oldest.age", () -> ageOf(unauthenticated(() -> tasks.createTaskQuery()
                        .taskDefinitionKey(FourEyesGuard.APPROVAL_TASK_ID).orderByTaskCreateTime().asc()
                        .listPage(0, 1)).stream().map(Task::getCreateTime).findFirst().orElse(null)))
                .baseUnit("seconds").description("Age of the oldest waiting approval task (0 when none)")
                .register(registry);
        Gauge.builder("opsflow.locks.held", () -> heldLocks.get().size())
                .description("Runbook locks held (OPSFLOW_LOCK)").register(registry);
        Gauge.builder("opsflow.locks.oldest.age", () -> ageOf(heldLocks.get().stream()
                        .map(l -> dateOf(l.get("acquired"))).filter(java.util.Objects::nonNull)
                        .min(Date::compareTo).orElse(null)))
                .baseUnit("seconds").description("Age of the oldest runbook lock held (0 when none)")
                .register(registry);
    }

    /**
     * The keys of every deployed runbook (latest versions), so that per-runbook gauges read 0 rather than nothing.
     * The query's rows only: {@code ProcessDefinitionQuery.list()} would also parse every definition's BPMN with the
     * model API (DOM and XML schema) to fill in its description, which this does not need and which cost ~0.3 s of
     * the application's start (docs/BENCHMARKS.md "Where memory and startup time go").
     */
    TreeSet<String> runbooks() {
        CommandExecutor commands = ((ProcessEngineConfigurationImpl) engine.getProcessEngineConfiguration())
                .getCommandExecutorTxRequired();
        TreeSet<String> keys = new TreeSet<>();
        unauthenticated(() -> commands.execute(ctx -> ctx.getProcessDefinitionManager()
                .findProcessDefinitionsByQueryCriteria(latest(), null)))
                .forEach(d -> keys.add(d.getKey()));
        return keys;
    }

    private static ProcessDefinitionQueryImpl latest() {
        ProcessDefinitionQueryImpl query = new ProcessDefinitionQueryImpl();
        query.latestVersion();
        return query;
    }

    private String runbookOf(String processDefinitionId) {
        if (processDefinitionId == null) {
            return RunMetrics.OTHER;
        }
        return keyByDefinitionId.computeIfAbsent(processDefinitionId, id -> unauthenticated(() -> {
            ProcessDefinition d = engine.getRepositoryService().createProcessDefinitionQuery()
                    .processDefinitionId(id).singleResult();
            return d == null ? RunMetrics.OTHER : d.getKey();
        }));
    }

    /** A timestamp column's value as the JDBC driver gives it (Timestamp, LocalDateTime, OffsetDateTime). */
    static Date dateOf(Object value) {
        if (value instanceof Date d) {
            return d;
        }
        if (value instanceof java.time.LocalDateTime t) {
            return java.sql.Timestamp.valueOf(t);
        }
        if (value instanceof java.time.OffsetDateTime t) {
            return Date.from(t.toInstant());
        }
        return null;
    }

    static double ageOf(Date since) {
        return since == null ? 0 : Math.max(0, Duration.between(since.toInstant(), Instant.now()).toMillis() / 1000.0);
    }

    /** Runs an engine query with no authenticated user (no authorization filter), restoring the caller's after. */
    <T> T unauthenticated(Supplier<T> query) {
        IdentityService identity = engine.getIdentityService();
        Authentication caller = identity.getCurrentAuthentication();
        identity.clearAuthentication();
        try {
            return query.get();
        } finally {
            if (caller != null) {
                identity.setAuthentication(caller);
            }
        }
    }

    /** A value computed at most once per {@link #FRESH}. */
    static final class Cached<T> {
        private final Supplier<T> compute;
        private T value;
        private long at;

        Cached(Supplier<T> compute) {
            this.compute = compute;
        }

        synchronized T get() {
            long now = System.nanoTime();
            if (value == null || now - at > FRESH.toNanos()) {
                value = compute.get();
                at = now;
            }
            return value;
        }
    }
}
