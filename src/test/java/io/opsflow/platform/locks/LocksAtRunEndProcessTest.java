package io.opsflow.platform.locks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl;
import org.camunda.bpm.engine.impl.interceptor.CommandExecutor;
import org.camunda.bpm.engine.runtime.ProcessInstance;
import org.camunda.bpm.model.bpmn.Bpmn;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;

import io.opsflow.platform.runbook.InputSpec;
import io.opsflow.platform.runbook.RunbookDefinition;
import io.opsflow.testsupport.TestEngines;

/** A run's locks are released when it ends: in the command that started it, or in a later one. */
class LocksAtRunEndProcessTest {
    private ProcessEngine engine;
    private JdbcTemplate jdbc;
    private CommandExecutor commands;

    private static RunbookDefinition runbook(String key, String lock) {
        return new RunbookDefinition() {
            @Override
            public String processKey() {
                return key;
            }

            @Override
            public List<InputSpec> inputs() {
                return List.of();
            }

            @Override
            public Optional<String> lockName(Map<String, Object> vars) {
                return Optional.ofNullable(lock);
            }
        };
    }

    @BeforeEach
    void engine() {
        engine = TestEngines.engine(TestEngines.defaultEnvironments(), runbook("locked-at-once", "release:staging/a"),
                runbook("free-at-once", null), runbook("locked-waits", "release:staging/b"));
        ProcessEngineConfigurationImpl cfg = (ProcessEngineConfigurationImpl) engine.getProcessEngineConfiguration();
        jdbc = new JdbcTemplate(cfg.getDataSource());
        commands = cfg.getCommandExecutorTxRequired();
        engine.getRepositoryService().createDeployment()
                .addModelInstance("a.bpmn", Bpmn.createExecutableProcess("locked-at-once").camundaHistoryTimeToLive(1)
                        .startEvent().endEvent().done())
                .addModelInstance("b.bpmn", Bpmn.createExecutableProcess("free-at-once").camundaHistoryTimeToLive(1)
                        .startEvent().endEvent().done())
                .addModelInstance("c.bpmn", Bpmn.createExecutableProcess("locked-waits").camundaHistoryTimeToLive(1)
                        .startEvent().userTask("Task_Wait").endEvent().done())
                .deploy();
    }

    @AfterEach
    void close() {
        engine.close();
    }

    private int locks() {
        return jdbc.queryForObject("SELECT COUNT(*) FROM OPSFLOW_LOCK", Integer.class);
    }

    private RunbookLocks runbookLocks() {
        return new RunbookLocks(jdbc);
    }

    @Test
    void aRunThatTakesALockAndEndsInTheSameCommandReleasesIt() {
        engine.getRuntimeService().startProcessInstanceByKey("locked-at-once");
        engine.getRuntimeService().startProcessInstanceByKey("locked-at-once"); // not refused: the first one let go
        assertThat(locks()).isZero();
    }

    @Test
    void aRunThatEndsInALaterCommandReleasesItsLock() {
        ProcessInstance pi = engine.getRuntimeService().startProcessInstanceByKey("locked-waits");
        assertThat(locks()).isEqualTo(1);
        assertThatThrownBy(() -> engine.getRuntimeService().startProcessInstanceByKey("locked-waits"))
                .isInstanceOf(RunbookLockedException.class);
        engine.getTaskService().complete(engine.getTaskService().createTaskQuery().processInstanceId(pi.getId())
                .singleResult().getId());
        assertThat(locks()).isZero();
        engine.getRuntimeService().startProcessInstanceByKey("locked-waits");
    }
}
