package io.opsflow.logs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyList;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.runtime.ProcessInstance;
import org.camunda.bpm.engine.test.Deployment;
import org.camunda.bpm.engine.test.assertions.bpmn.BpmnAwareTests;
import org.camunda.bpm.engine.test.junit5.ProcessEngineExtension;
import org.camunda.bpm.engine.test.mock.Mocks;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import io.opsflow.environments.Environments;
import io.opsflow.platform.runbook.RunbookInputException;
import io.opsflow.scale.RunbookTestEnvironments;
import io.opsflow.step.exec.StepLogs;
import io.opsflow.testsupport.TestEngines;

/**
 * analyze-logs, every path: over SSH with errors found, from Loki without errors, a host that cannot be read (noted,
 * the rest analysed), no host readable (incident), and the starts that are refused before anything runs.
 */
@Deployment(resources = {"analyze-logs.bpmn"})
class AnalyzeLogsProcessTest {
    static final Environments ENVS = RunbookTestEnvironments.create();
    static final LogsProperties PROPS = new LogsProperties();

    static {
        PROPS.getLoki().put("production", "http://loki.test:3100");
    }

    @RegisterExtension
    static ProcessEngineExtension ext = TestEngines.extension(ENVS, new AnalyzeLogsRunbook(PROPS));

    @TempDir
    static Path logDir;

    ProcessEngine engine;
    final LogSources sources = mock(LogSources.class);
    LogReports reports;

    @BeforeEach
    void setUp() {
        engine = ext.getProcessEngine();
        BpmnAwareTests.init(engine);
        StepLogs logs = new StepLogs(logDir.toString());
        reports = new LogReports(logs);
        Mocks.register("logsCollect", new LogsCollectDelegate(sources, ENVS, reports, PROPS, logs));
        Mocks.register("logsAnalyse", new LogsAnalyseDelegate(ENVS, reports, PROPS, logs));
    }

    @AfterEach
    void tearDown() {
        Mocks.reset();
    }

    ProcessInstance start(Object... kv) {
        Map<String, Object> vars = new HashMap<>(Map.of("environment", "staging"));
        for (int i = 0; i < kv.length; i += 2) {
            vars.put((String) kv[i], kv[i + 1]);
        }
        return engine.getRuntimeService().startProcessInstanceByKey("analyze-logs", vars);
    }

    void runJobs(ProcessInstance pi) {
        TestEngines.runJobs(engine, pi.getId());
    }

    Object var(ProcessInstance pi, String name) {
        return engine.getHistoryService().createHistoricVariableInstanceQuery().processInstanceId(pi.getId())
                .variableName(name).singleResult().getValue();
    }

    static String at(Instant t) {
        return t.toString();
    }

    /** Feeds these stored lines to the sink of whichever source is asked. */
    @SuppressWarnings("unchecked")
    static org.mockito.stubbing.Answer<LogSources.Collected> feed(int sinkArg, List<String> lines,
                                                                  List<String> notes) {
        return inv -> {
            Consumer<String> sink = (Consumer<String>) inv.getArgument(sinkArg);
            lines.forEach(sink);
            return new LogSources.Collected(lines.size(), false, notes);
        };
    }

    @Test
    void overSshErrorsOnOneHostEndInAReportWithChartSummaryAndLinks() throws Exception {
        Instant t = Instant.now().minus(Duration.ofMinutes(5)).truncatedTo(ChronoUnit.SECONDS);
        List<String> lines = List.of(
                "staging-web-1\tapp:webapp/blue\t" + at(t) + " INFO webapp 1.1.0 blue: access 10.0.0.1 \"GET / HTTP/1.1\" 200 12 4ms",
                "staging-web-2\tapp:webapp/blue\t" + at(t.plusSeconds(3)) + " ERROR webapp 2.0.0-broken blue: order status query failed: column orders.status_code does not exist (request 4f1c2b7e-1d7a-4c55-9a8e-2b1f0c3d4e5f, after 12 ms)",
                "staging-web-2\tapp:webapp/blue\t" + at(t.plusSeconds(65)) + " ERROR webapp 2.0.0-broken blue: order status query failed: column orders.status_code does not exist (request 0b8d6f1e-2a3b-4c5d-8e9f-0a1b2c3d4e5f, after 31 ms)",
                "staging-web-2\tlb:lb-access.log\t" + at(t.plusSeconds(66)) + " haproxy[staging]: 10.0.0.9 \"GET /orders HTTP/1.1\" webapp/staging-web-2-blue 500 2300ms");
        when(sources.overSsh(eq("staging"), anyList(), any(), any(), any(), any(), any()))
                .thenAnswer(feed(5, lines, List.of()));

        ProcessInstance pi = start("window", "PT15M", "application", "webapp", "patterns", "status_code");
        BpmnAwareTests.assertThat(pi).isWaitingAt("Task_CollectOverSsh");
        runJobs(pi);

        BpmnAwareTests.assertThat(pi).isEnded().hasPassed("Task_CollectOverSsh", "Task_Analyse", "End_ErrorsFound")
                .hasNotPassed("Task_QueryLoki", "End_NoErrors");
        verify(sources).overSsh(eq("staging"), eq(List.of("staging-web-1", "staging-web-2")), eq("webapp"), any(),
                any(), any(), any());
        verify(sources, never()).fromLoki(any(), any(), anyList(), any(), any(), any(), any(), any());
        assertThat(var(pi, "logSource")).isEqualTo("ssh");
        assertThat(var(pi, "errorCount")).isEqualTo(2L);
        assertThat(var(pi, "topSignature")).isEqualTo(
                "order status query failed: column orders.status_code does not exist (request <uuid>, after <n> ms)");
        assertThat((String) var(pi, "logSummary")).contains("2 error line(s) on 1 of 2 host(s) in staging")
                .contains("source: ssh").contains("Errors on staging-web-2 began at");
        assertThat(var(pi, "logReportHref")).isEqualTo("/api/runs/" + pi.getId() + "/log-analysis.html");
        assertThat(var(pi, "outcome")).isEqualTo("SUCCEEDED");
        String html = Files.readString(reports.find(pi.getId(), LogReports.HTML).orElseThrow());
        assertThat(html).contains("<svg").contains("data-host=\"staging-web-2\"").contains("status_code");
        String json = Files.readString(reports.find(pi.getId(), LogReports.JSON).orElseThrow());
        assertThat(json).contains("\"lb5xx\" : 1").contains("\"slowRequests\" : 1")
                .contains("\"status_code\" : 2");
        // the window was resolved at the start, 15 minutes back
        Instant from = Instant.parse((String) var(pi, "windowFrom"));
        Instant to = Instant.parse((String) var(pi, "windowTo"));
        assertThat(Duration.between(from, to)).isEqualTo(Duration.ofMinutes(15));
    }

    @Test
    void anEnvironmentWithLokiIsReadFromLokiAndSaysSo() {
        when(sources.fromLoki(eq("http://loki.test:3100"), eq("production"), anyList(), any(), any(), any(), any(),
                any())).thenAnswer(feed(6, List.of("production-web-1\tapp:webapp/blue\t" + at(Instant.now()
                .minusSeconds(60)) + " INFO webapp 1.1.0 blue: listening"), List.of()));

        ProcessInstance pi = start("environment", "production", "from", at(Instant.now().minus(Duration.ofHours(1))),
                "to", at(Instant.now()));
        runJobs(pi);

        BpmnAwareTests.assertThat(pi).isEnded().hasPassed("Task_QueryLoki", "Task_Analyse", "End_NoErrors")
                .hasNotPassed("Task_CollectOverSsh", "End_ErrorsFound", "Task_Approve");
        verify(sources, never()).overSsh(any(), anyList(), any(), any(), any(), any(), any());
        assertThat(var(pi, "logSource")).isEqualTo("loki");
        assertThat((String) var(pi, "logSummary")).contains("0 error line(s)").contains("source: loki");
    }

    @Test
    void aHostThatCannotBeReadIsNamedInTheReportAndTheRestIsAnalysed() throws Exception {
        when(sources.overSsh(eq("staging"), anyList(), any(), any(), any(), any(), any()))
                .thenAnswer(feed(5, List.of(), List.of("staging-web-2: could not be read: connection refused")));

        ProcessInstance pi = start("hosts", "staging-web-2");
        runJobs(pi);

        BpmnAwareTests.assertThat(pi).isEnded().hasPassed("End_NoErrors");
        verify(sources).overSsh(eq("staging"), eq(List.of("staging-web-2")), any(), any(), any(), any(), any());
        assertThat(Files.readString(reports.find(pi.getId(), LogReports.HTML).orElseThrow()))
                .contains("staging-web-2: could not be read: connection refused");
    }

    @Test
    void noReadableHostIsAnIncidentOnTheCollectingStep() {
        when(sources.overSsh(eq("staging"), anyList(), any(), any(), any(), any(), any()))
                .thenThrow(new IllegalStateException("no host of staging could be read"));
        ProcessInstance pi = start();
        for (int i = 0; i < 3; i++) {
            String job = engine.getManagementService().createJobQuery().processInstanceId(pi.getId()).singleResult()
                    .getId();
            assertThatThrownBy(() -> engine.getManagementService().executeJob(job))
                    .hasMessageContaining("no host of staging could be read");
        }
        assertThat(engine.getRuntimeService().createIncidentQuery().processInstanceId(pi.getId()).singleResult()
                .getActivityId()).isEqualTo("Task_CollectOverSsh");
    }

    @Test
    void badInputIsRefusedAndNothingStarts() {
        long before = engine.getHistoryService().createHistoricProcessInstanceQuery().count();
        assertRefused("window: must be", "window", "30 minutes");
        assertRefused("window: at most", "window", "P2D");
        assertRefused("window: give either window", "window", "PT5M", "from", "2026-12-06T21:00:00Z", "to",
                "2026-12-06T21:10:00Z");
        assertRefused("from: must be before to", "from", "2026-12-06T21:10:00Z", "to", "2026-12-06T21:00:00Z");
        assertRefused("to: from and to go together", "from", "2026-12-06T21:10:00Z");
        assertRefused("to: lies in the future", "from", at(Instant.now()), "to", at(Instant.now().plus(
                Duration.ofHours(1))));
        assertRefused("hosts: staging has no host production-web-1", "hosts", "production-web-1");
        assertRefused("hosts: must be", "hosts", "staging-web-1; rm -rf /");
        assertRefused("patterns: a pattern needs at least one literal", "patterns", "**");
        assertRefused("patterns: at most 8 '*'", "patterns", "*a*a*a*a*a*a*a*a*a*");
        // the window is the platform's to resolve, not the caller's
        assertRefused("windowFrom", "windowFrom", "1970-01-01T00:00:00Z");
        assertRefused("logSource", "logSource", "loki");
        assertThat(engine.getHistoryService().createHistoricProcessInstanceQuery().count()).isEqualTo(before);
    }

    void assertRefused(String message, Object... kv) {
        assertThatThrownBy(() -> start(kv)).isInstanceOf(RunbookInputException.class).hasMessageContaining(message);
    }
}
