package io.opsflow.platform.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.UUID;

import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.ProcessEngineConfiguration;
import org.camunda.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl;
import org.camunda.bpm.engine.impl.cfg.StandaloneInMemProcessEngineConfiguration;
import org.camunda.bpm.engine.impl.identity.Authentication;
import org.camunda.bpm.model.bpmn.Bpmn;
import org.camunda.bpm.model.bpmn.BpmnModelInstance;
import org.camunda.commons.utils.cache.Cache;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opsflow.platform.locks.RunbookLocks;

/**
 * The per-runbook gauges are registered for every deployed runbook (latest versions, one gauge per key), whoever is
 * authenticated when the meters are bound, and binding parses no BPMN (the application's start pays for no model
 * API).
 */
class EngineMetricsTest {
    static ProcessEngine engine;
    static RunbookLocks locks;

    @BeforeAll
    static void engine() {
        String url = "jdbc:h2:mem:engine-metrics-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
        StandaloneInMemProcessEngineConfiguration cfg = new StandaloneInMemProcessEngineConfiguration();
        cfg.setJdbcUrl(url);
        cfg.setDatabaseSchemaUpdate(ProcessEngineConfiguration.DB_SCHEMA_UPDATE_CREATE_DROP);
        cfg.setJobExecutorActivate(false);
        cfg.setAuthorizationEnabled(true);
        cfg.setProcessEngineName("engine-metrics-" + UUID.randomUUID());
        engine = cfg.buildProcessEngine();
        for (String key : List.of("alpha", "beta", "alpha")) { // alpha twice: two versions, one gauge
            engine.getRepositoryService().createDeployment()
                    .addModelInstance(key + ".bpmn", Bpmn.createExecutableProcess(key).camundaHistoryTimeToLive(1)
                            .documentation("the " + key + " runbook").startEvent().endEvent().done())
                    .deploy();
        }
        locks = new RunbookLocks(new JdbcTemplate(new DriverManagerDataSource(url, "sa", "")));
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    @BeforeEach
    void emptyModelCache() {
        modelCache().clear();
        engine.getIdentityService().clearAuthentication();
    }

    @Test
    void registersOneIncidentGaugePerDeployedRunbookWithoutParsingTheirBpmn() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();

        new EngineMetrics(engine, locks).bindTo(registry);

        assertThat(registry.find("opsflow.incidents.open").gauges()).extracting(g -> g.getId().getTag("runbook"))
                .containsExactlyInAnyOrder("alpha", "beta");
        assertThat(registry.get("opsflow.incidents.open").tag("runbook", "alpha").gauge().value()).isZero();
        assertThat(modelCache().isEmpty()).as("BPMN models parsed while binding the meters").isTrue();
        // the engine's own query still fills in the description (the model API), as before
        assertThat(engine.getRepositoryService().createProcessDefinitionQuery().processDefinitionKey("beta")
                .singleResult().getDescription()).isEqualTo("the beta runbook");
    }

    @Test
    void aCallerWithoutAnyPermissionStillGetsEveryRunbookAndKeepsItsAuthentication() {
        engine.getIdentityService().setAuthentication("nobody", List.of());
        SimpleMeterRegistry registry = new SimpleMeterRegistry();

        new EngineMetrics(engine, locks).bindTo(registry);

        assertThat(registry.find("opsflow.incidents.open").gauges()).extracting(Gauge::getId)
                .extracting(id -> id.getTag("runbook")).containsExactlyInAnyOrder("alpha", "beta");
        Authentication after = engine.getIdentityService().getCurrentAuthentication();
        assertThat(after).isNotNull();
        assertThat(after.getUserId()).isEqualTo("nobody");
        assertThat(engine.getRepositoryService().createProcessDefinitionQuery().list())
                .as("the caller itself may read no definition").isEmpty();
    }

    private static Cache<String, BpmnModelInstance> modelCache() {
        return ((ProcessEngineConfigurationImpl) engine.getProcessEngineConfiguration()).getDeploymentCache()
                .getBpmnModelInstanceCache();
    }
}
