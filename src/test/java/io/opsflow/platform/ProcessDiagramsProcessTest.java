package io.opsflow.platform;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.repository.DeploymentBuilder;
import org.camunda.bpm.engine.repository.DeploymentWithDefinitions;
import org.camunda.bpm.engine.repository.ProcessDefinition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

import io.opsflow.testsupport.TestEngines;

/**
 * Every runbook in {@code processes/} deploys as one deployment, as the application deploys them, and the engine's
 * BPMN parser has nothing to warn about (such as {@code waitForCompletion} on a catching compensation event, which
 * Camunda ignores and logs at every start).
 */
class ProcessDiagramsProcessTest {
    static final Path PROCESSES = Path.of("processes");

    static ProcessEngine engine;

    @BeforeAll
    static void engine() {
        engine = TestEngines.engine(TestEngines.defaultEnvironments());
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    @Test
    void everyDiagramDeploysWithoutParseWarnings() throws IOException {
        List<Path> resources;
        try (Stream<Path> files = Files.list(PROCESSES)) {
            resources = files.filter(p -> p.toString().endsWith(".bpmn") || p.toString().endsWith(".form"))
                    .sorted().toList();
        }
        List<String> diagrams = resources.stream().map(p -> p.getFileName().toString())
                .filter(n -> n.endsWith(".bpmn")).toList();
        assertThat(diagrams).hasSizeGreaterThanOrEqualTo(8);

        Logger camunda = (Logger) LoggerFactory.getLogger("org.camunda.bpm.engine");
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        camunda.addAppender(log);
        DeploymentWithDefinitions deployment;
        try {
            DeploymentBuilder builder = engine.getRepositoryService().createDeployment().name("processes");
            for (Path resource : resources) {
                builder.addString(resource.getFileName().toString(), Files.readString(resource));
            }
            deployment = builder.deployWithResult();
        } finally {
            camunda.detachAppender(log);
        }

        assertThat(deployment.getDeployedProcessDefinitions()).extracting(ProcessDefinition::getResourceName)
                .containsExactlyInAnyOrderElementsOf(diagrams);
        assertThat(log.list).filteredOn(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
                .extracting(ILoggingEvent::getFormattedMessage)
                .as("warnings while parsing processes/*.bpmn")
                .isEmpty();
    }

    /**
     * A retry cycle is an extension element ({@code <camunda:failedJobRetryTimeCycle>}); Camunda ignores it written
     * as an attribute and silently applies the engine default (R3/PT1M) instead.
     */
    @Test
    void retryCyclesAreWhatTheDiagramsSay() throws IOException {
        try (Stream<Path> files = Files.list(PROCESSES)) {
            for (Path p : files.filter(f -> f.toString().endsWith(".bpmn")).toList()) {
                assertThat(Files.readString(p)).as(p + ": retry cycle as an attribute is ignored by Camunda")
                        .doesNotContain("camunda:failedJobRetryTimeCycle=");
            }
        }
        String id = engine.getRepositoryService().createDeployment().name("retries")
                .addString("restore.bpmn", Files.readString(PROCESSES.resolve("restore.bpmn")))
                .addString("backup.bpmn", Files.readString(PROCESSES.resolve("backup.bpmn")))
                .deployWithResult().getDeployedProcessDefinitions().stream()
                .filter(d -> d.getKey().equals("restore")).findFirst().orElseThrow().getId();
        var restore = (org.camunda.bpm.engine.impl.persistence.entity.ProcessDefinitionEntity)
                ((org.camunda.bpm.engine.impl.RepositoryServiceImpl) engine.getRepositoryService())
                        .getDeployedProcessDefinition(id);
        var cfg = restore.findActivity("Task_Restore").getProperties()
                .get(org.camunda.bpm.engine.impl.bpmn.parser.DefaultFailedJobParseListener.FAILED_JOB_CONFIGURATION);
        assertThat(cfg.getRetries()).as("restore runs at most twice (R2/PT1M)").isEqualTo(2);
    }
}
