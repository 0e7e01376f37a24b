package io.opsflow.step;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.history.HistoricVariableInstance;
import org.camunda.bpm.engine.impl.cfg.StandaloneInMemProcessEngineConfiguration;
import org.camunda.bpm.engine.runtime.ProcessInstance;
import org.camunda.bpm.engine.variable.Variables;
import org.camunda.bpm.model.bpmn.Bpmn;
import org.camunda.bpm.model.bpmn.BpmnModelInstance;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;

import io.opsflow.step.exec.StepLogs;
import io.opsflow.step.http.HttpHealthCheck;
import io.opsflow.step.http.HttpHealthCheckDelegate;
import io.opsflow.step.ssh.HostKeyVerificationException;
import io.opsflow.step.ssh.SshCommandDelegate;
import io.opsflow.step.ssh.SshConnections;
import io.opsflow.step.ssh.SshProperties;
import io.opsflow.step.ssh.SshStep;
import io.opsflow.testsupport.OpenSshd;

/**
 * The sshCommand and httpHealthCheck delegates inside a real Camunda engine (in-memory H2), against a real sshd and
 * a JDK HTTP server: outputs, step logs, BpmnError codes caught by boundary events, technical failures roll back.
 */
class StepDelegatesIT {
    private static OpenSshd sshd;
    private static HttpServer http;

    @TempDir
    static Path logDir;
    private static ProcessEngine goodEngine;
    private ProcessEngine engine;

    @BeforeAll
    static void startServers() throws IOException {
        sshd = OpenSshd.start();
        http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        http.createContext("/health", ex -> {
            byte[] b = "{\"status\":\"UP\"}".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(b);
            }
        });
        http.createContext("/broken", ex -> {
            ex.sendResponseHeaders(503, -1);
            ex.close();
        });
        http.start();
    }

    @AfterAll
    static void stopServers() {
        if (goodEngine != null) {
            goodEngine.close();
        }
        if (sshd != null) {
            sshd.close();
        }
        if (http != null) {
            http.stop(0);
        }
    }

    private static ProcessEngine startEngine(Path knownHosts) {
        StepLogs stepLogs = new StepLogs(logDir.toString());
        SshProperties props = new SshProperties("file:" + sshd.clientPrivateKey(), null, knownHosts, List.of(),
                sshd.user(), sshd.port(), Duration.ofSeconds(10), Duration.ofSeconds(30));
        SshCommandDelegate ssh = new SshCommandDelegate(new SshStep(new SshConnections(props)), props, stepLogs);
        HttpHealthCheckDelegate health = new HttpHealthCheckDelegate(new HttpHealthCheck(), stepLogs);
        StandaloneInMemProcessEngineConfiguration cfg = new StandaloneInMemProcessEngineConfiguration();
        cfg.setJdbcUrl("jdbc:h2:mem:steps-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
        cfg.setJobExecutorActivate(false);
        cfg.setHistory("full");
        cfg.setEnableExceptionsAfterUnhandledBpmnError(true);
        cfg.setBeans(Map.of("sshCommand", ssh, "httpHealthCheck", health));
        cfg.setProcessEngineName("steps-" + UUID.randomUUID());
        ProcessEngine engine = cfg.buildProcessEngine();
        BpmnModelInstance model = Bpmn.createExecutableProcess("steps").camundaHistoryTimeToLive(1)
                .startEvent()
                .serviceTask("Task_Ssh").camundaDelegateExpression("${sshCommand}")
                .boundaryEvent("Boundary_SshFailed").error("SSH_COMMAND_FAILED").endEvent("End_SshFailed")
                .moveToActivity("Task_Ssh")
                .serviceTask("Task_Health").camundaDelegateExpression("${httpHealthCheck}")
                .boundaryEvent("Boundary_Unhealthy").error("HEALTH_CHECK_FAILED").endEvent("End_Unhealthy")
                .moveToActivity("Task_Health")
                .endEvent("End_Ok")
                .done();
        engine.getRepositoryService().createDeployment().addModelInstance("steps.bpmn", model).deploy();
        return engine;
    }

    @BeforeEach
    void engineWithGoodTrust() {
        if (goodEngine == null) {
            goodEngine = startEngine(sshd.knownHostsFile());
        }
        engine = goodEngine;
    }

    private ProcessInstance start(Map<String, Object> vars) {
        return engine.getRuntimeService().startProcessInstanceByKey("steps", Variables.fromMap(vars));
    }

    private Object var(ProcessInstance pi, String name) {
        HistoricVariableInstance v = engine.getHistoryService().createHistoricVariableInstanceQuery()
                .processInstanceId(pi.getId()).variableName(name).singleResult();
        return v == null ? null : v.getValue();
    }

    private String endedAt(ProcessInstance pi) {
        return engine.getHistoryService().createHistoricActivityInstanceQuery().processInstanceId(pi.getId())
                .activityType("noneEndEvent").singleResult().getActivityId();
    }

    private String url(String path) {
        return "http://127.0.0.1:" + http.getAddress().getPort() + path;
    }

    @Test
    void happyPathSetsOutputsAndLogs() throws Exception {
        ProcessInstance pi = start(Map.of("host", "127.0.0.1",
                "command", "[\"sh\",\"-c\",\"echo hello; echo to-stderr >&2\"]",
                "healthUrls", "[\"" + url("/health") + "\"]", "healthDeadline", "PT5S",
                "healthBodyPattern", "\"UP\""));
        assertThat(endedAt(pi)).isEqualTo("End_Ok");
        assertThat(var(pi, "exitCode")).isEqualTo(0);
        assertThat(var(pi, "stdoutTail")).isEqualTo("hello\n");
        assertThat((String) var(pi, "Task_Ssh_log")).contains("[out] 127.0.0.1:" + sshd.port() + ": hello")
                .contains("[err] 127.0.0.1:" + sshd.port() + ": to-stderr");
        assertThat(var(pi, "healthy")).isEqualTo(true);
        JsonNode results = new ObjectMapper().readTree((String) var(pi, "healthResults"));
        assertThat(results).hasSize(1);
        assertThat(results.get(0).get("url").asText()).isEqualTo(url("/health"));
        assertThat(results.get(0).get("status").asInt()).isEqualTo(200);
        assertThat((String) var(pi, "Task_Health_log")).contains("HEALTHY after 1 attempt(s)");
        try (var files = Files.list(logDir.resolve(pi.getId()))) {
            assertThat(files.count()).as("one out-of-band log file per activity instance").isEqualTo(2);
        }
    }

    @Test
    void modelledFailuresAreBpmnErrorsWithOutputsSet() {
        ProcessInstance failed = start(Map.of("host", "127.0.0.1", "command", "[\"sh\",\"-c\",\"exit 3\"]",
                "healthUrls", url("/health")));
        assertThat(endedAt(failed)).isEqualTo("End_SshFailed");
        assertThat(var(failed, "exitCode")).isEqualTo(3);
        assertThat(var(failed, "Task_Ssh_log")).asString().contains("exited 3 (accepted: [0])");

        ProcessInstance accepted = start(Map.of("host", "127.0.0.1", "command", "[\"sh\",\"-c\",\"exit 3\"]",
                "okExitCodes", "[0, 3]", "healthUrls", url("/health")));
        assertThat(endedAt(accepted)).isEqualTo("End_Ok");

        ProcessInstance unhealthy = start(Map.of("host", "127.0.0.1", "command", "[\"true\"]",
                "healthUrls", url("/health") + "," + url("/broken"), "healthDeadline", "PT1S",
                "healthInterval", "PT0.2S"));
        assertThat(endedAt(unhealthy)).isEqualTo("End_Unhealthy");
        assertThat(var(unhealthy, "healthy")).isEqualTo(false);
        assertThat((String) var(unhealthy, "healthResults")).contains("\"healthy\":true")
                .contains("status 503 (expected 200)");
    }

    @Test
    void technicalFailuresAndBadInputRollBackTheStart() throws Exception {
        long before = engine.getHistoryService().createHistoricProcessInstanceQuery().count();
        assertThatThrownBy(() -> start(Map.of("host", "127.0.0.1", "healthUrls", url("/health"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'command' is required");
        assertThatThrownBy(() -> start(Map.of("host", "127.0.0.1", "command", "sh -c reboot",
                "healthUrls", url("/health")))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must be a list of strings");
        assertThatThrownBy(() -> start(Map.of("host", "127.0.0.1; reboot", "command", "[\"true\"]",
                "healthUrls", url("/health")))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a valid host name");

        Path otherKnownHosts = sshd.directory().resolve("delegate_known_hosts");
        Path impostor = sshd.directory().resolve("delegate_impostor");
        OpenSshd.generateKeyPair(impostor, "", "x");
        Files.writeString(otherKnownHosts, "[127.0.0.1]:" + sshd.port() + " "
                + Files.readString(impostor.resolveSibling("delegate_impostor.pub")).trim() + "\n");
        assertThat(engine.getHistoryService().createHistoricProcessInstanceQuery().count()).isEqualTo(before);
        engine = startEngine(otherKnownHosts);
        try {
            assertThatThrownBy(() -> start(Map.of("host", "127.0.0.1", "command", "[\"true\"]",
                    "healthUrls", url("/health")))).isInstanceOf(HostKeyVerificationException.class)
                    .hasMessageContaining("DIFFERS");
            assertThat(engine.getHistoryService().createHistoricProcessInstanceQuery().count()).isZero();
        } finally {
            engine.close();
        }
    }
}
