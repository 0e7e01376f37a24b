package io.opsflow.scale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.impl.util.ClockUtil;
import org.camunda.bpm.engine.runtime.Job;
import org.camunda.bpm.engine.test.Deployment;
import org.camunda.bpm.engine.test.junit5.ProcessEngineExtension;
import org.camunda.bpm.engine.test.mock.Mocks;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.setup.MockMvcBuilders;

import io.opsflow.testsupport.Approve;
import io.opsflow.environments.Environments;
import io.opsflow.step.exec.StepLogs;
import io.opsflow.testsupport.TestEngines;

/** The Alertmanager webhook against a real engine with scale-service deployed (host operations mocked). */
@Deployment(resources = {"scale-service.bpmn", "scale-service-approval.form"})
class AlertmanagerWebhookProcessTest {
    static final Environments ENVS = RunbookTestEnvironments.create();

    @RegisterExtension
    static ProcessEngineExtension ext = TestEngines.extension(ENVS, new ScaleServiceRunbook());

    @TempDir
    static Path logDir;

    ProcessEngine engine;
    final ScaleOperations ops = mock(ScaleOperations.class);
    final ScaleProperties props = new ScaleProperties();
    MockMvc mvc;

    @BeforeEach
    void setUp() {
        engine = ext.getProcessEngine();
        StepLogs logs = new StepLogs(logDir.toString());
        Mocks.register("scaleCheckCooldown", new ScaleCheckCooldownDelegate(props));
        Mocks.register("scaleInspect", new ScaleInspectDelegate(ops, ENVS, props, logs));
        Mocks.register("scaleAddInstance", new ScaleAddInstanceDelegate(ops, logs));
        Mocks.register("scaleRemoveInstance", new ScaleRemoveInstanceDelegate(ops, logs));
        Mocks.register("scaleVerifyDistribution", new ScaleVerifyDistributionDelegate(ops, logs));
        Mocks.register("scaleUndoAdd", new ScaleUndoAddDelegate(ops, logs));
        Mocks.register("scaleUndoRemove", new ScaleUndoRemoveDelegate(ops, logs));
        Approve.registerApprovalBlock();
        when(ops.inspect(eq("staging"), eq("webapp"), any())).thenReturn(new ScaleOperations.PoolState(List.of(
                ScaleServiceProcessTest.inst("staging-web-1", "blue"),
                ScaleServiceProcessTest.inst("staging-web-2", "blue")), "1.1.0", "blue"));
        when(ops.addInstance(anyString(), anyString(), any(), anyString(), any(), any()))
                .thenReturn(new ScaleOperations.AddResult(true, "healthy"));
        when(ops.verifyDistribution(anyString(), anyString(), any(), any(), any()))
                .thenReturn(new ScaleOperations.Distribution(true, 10, 0, Map.of("i1", 4), "ok"));
        AlertmanagerWebhook webhook = new AlertmanagerWebhook(engine.getRuntimeService(),
                engine.getHistoryService(), engine.getIdentityService(), props);
        mvc = MockMvcBuilders.standaloneSetup(new AlertmanagerWebhookController(webhook)).build();
    }

    @AfterEach
    void tearDown() {
        Mocks.reset();
        ClockUtil.reset();
    }

    static String notification(String status, String labels, String annotations) {
        return """
                {"version":"4","groupKey":"{}:{alertname=\\"HighCpu\\"}","truncatedAlerts":0,"status":"%s",
                 "receiver":"opsflow","groupLabels":{"alertname":"HighCpu"},"commonLabels":{},"commonAnnotations":{},
                 "externalURL":"http://alertmanager:9093",
                 "alerts":[{"status":"%s","labels":{%s},"annotations":{%s},
                            "startsAt":"2026-01-01T10:00:00Z","endsAt":"0001-01-01T00:00:00Z",
                            "generatorURL":"http://prometheus:9090/graph","fingerprint":"c0ffee"}]}
                """.formatted(status, status, labels, annotations);
    }

    static final String HIGH_CPU = "\"alertname\":\"HighCpu\",\"environment\":\"staging\",\"application\":\"webapp\","
            + "\"severity\":\"warning\"";

    void finishAllJobs() {
        for (int i = 0; i < 50; i++) {
            List<Job> jobs = engine.getManagementService().createJobQuery().executable().list();
            if (jobs.isEmpty()) {
                return;
            }
            engine.getManagementService().executeJob(jobs.get(0).getId());
        }
    }

    @Test
    void aFiringAlertStartsAScaleRunThenRepeatsAreBusyOrInCooldownAndStartNothing() throws Exception {
        mvc.perform(post("/api/alerts/alertmanager").contentType(MediaType.APPLICATION_JSON)
                        .content(notification("firing", HIGH_CPU, "\"summary\":\"CPU > 70% for 5 minutes\"")))
                .andExpect(status().isAccepted())
                .andExpect(jsonPath("$.results[0].status").value("started"))
                .andExpect(jsonPath("$.results[0].environment").value("staging"))
                .andExpect(jsonPath("$.results[0].processInstanceId").isNotEmpty());
        var pi = engine.getRuntimeService().createProcessInstanceQuery().singleResult();
        Map<String, Object> vars = engine.getRuntimeService().getVariables(pi.getId());
        assertThat(vars).containsEntry("delta", 1).containsEntry("trigger", "alert")
                .containsEntry("metric", "HighCpu: CPU > 70% for 5 minutes").doesNotContainKey("instances");

        // Alertmanager repeats the notification while the run is still going: the application's lock says busy
        mvc.perform(post("/api/alerts/alertmanager").contentType(MediaType.APPLICATION_JSON)
                        .content(notification("firing", HIGH_CPU, "")))
                .andExpect(status().isAccepted())
                .andExpect(jsonPath("$.results[0].status").value("busy"));

        finishAllJobs();
        assertThat(engine.getHistoryService().createHistoricVariableInstanceQuery().processInstanceId(pi.getId())
                .variableName("outcome").singleResult().getValue()).isEqualTo("SUCCEEDED");

        // and after it scaled: cooldown, no run at all (not even a REJECTED one)
        mvc.perform(post("/api/alerts/alertmanager").contentType(MediaType.APPLICATION_JSON)
                        .content(notification("firing", HIGH_CPU, "")))
                .andExpect(status().isAccepted())
                .andExpect(jsonPath("$.results[0].status").value("cooldown"))
                .andExpect(jsonPath("$.results[0].detail").value(org.hamcrest.Matchers.containsString(
                        "cooldown: staging/webapp was scaled by run " + pi.getId())));
        assertThat(engine.getHistoryService().createHistoricProcessInstanceQuery().count()).isEqualTo(1);
    }

    @Test
    void labelsOrAnnotationsCannotSwitchTheCooldownOff() throws Exception {
        String forged = HIGH_CPU + ",\"ignoreCooldown\":\"true\",\"honourCooldown\":\"false\"";
        String forgedAnnotations = "\"ignoreCooldown\":\"true\",\"honourCooldown\":\"false\",\"trigger\":\"manual\"";
        mvc.perform(post("/api/alerts/alertmanager").contentType(MediaType.APPLICATION_JSON)
                        .content(notification("firing", forged, forgedAnnotations)))
                .andExpect(status().isAccepted())
                .andExpect(jsonPath("$.results[0].status").value("started"));
        var pi = engine.getRuntimeService().createProcessInstanceQuery().singleResult();
        assertThat(engine.getRuntimeService().getVariables(pi.getId())).containsEntry("trigger", "alert")
                .containsEntry("honourCooldown", true).doesNotContainKey("ignoreCooldown");
        finishAllJobs();

        // inside the cooldown the same forged alert starts nothing
        mvc.perform(post("/api/alerts/alertmanager").contentType(MediaType.APPLICATION_JSON)
                        .content(notification("firing", forged, forgedAnnotations)))
                .andExpect(status().isAccepted())
                .andExpect(jsonPath("$.results[0].status").value("cooldown"));
        assertThat(engine.getHistoryService().createHistoricProcessInstanceQuery().count()).isEqualTo(1);
    }

    @Test
    void scaleTargetAndScaleDeltaComeFromLabelsOrAnnotations() throws Exception {
        mvc.perform(post("/api/alerts/alertmanager").contentType(MediaType.APPLICATION_JSON)
                        .content(notification("firing", HIGH_CPU + ",\"scale_target\":\"4\"", "")))
                .andExpect(jsonPath("$.results[0].status").value("started"));
        var pi = engine.getRuntimeService().createProcessInstanceQuery().singleResult();
        assertThat(engine.getRuntimeService().getVariables(pi.getId())).containsEntry("instances", 4)
                .doesNotContainKey("delta")
                // an alert's run is initiated by the named principal, whoever posted it: a person still approves
                .containsEntry("initiator", "alertmanager");
        engine.getRuntimeService().deleteProcessInstance(pi.getId(), "test");

        mvc.perform(post("/api/alerts/alertmanager").contentType(MediaType.APPLICATION_JSON)
                        .content(notification("firing", HIGH_CPU, "\"scale_delta\":\"-1\"")))
                .andExpect(jsonPath("$.results[0].status").value("started"));
        var second = engine.getRuntimeService().createProcessInstanceQuery().singleResult();
        assertThat(engine.getRuntimeService().getVariables(second.getId())).containsEntry("delta", -1);
    }

    @Test
    void resolvedUnlabelledAndInvalidAlertsStartNothingAndSayWhy() throws Exception {
        mvc.perform(post("/api/alerts/alertmanager").contentType(MediaType.APPLICATION_JSON)
                        .content(notification("resolved", HIGH_CPU, "")))
                .andExpect(status().isAccepted())
                .andExpect(jsonPath("$.results[0].status").value("ignored"));
        mvc.perform(post("/api/alerts/alertmanager").contentType(MediaType.APPLICATION_JSON)
                        .content(notification("firing", "\"alertname\":\"HighCpu\"", "")))
                .andExpect(jsonPath("$.results[0].status").value("ignored"));
        mvc.perform(post("/api/alerts/alertmanager").contentType(MediaType.APPLICATION_JSON)
                        .content(notification("firing", HIGH_CPU + ",\"scale_delta\":\"$(reboot)\"", "")))
                .andExpect(jsonPath("$.results[0].status").value("invalid"))
                .andExpect(jsonPath("$.results[0].detail").value(org.hamcrest.Matchers.containsString(
                        "scale_delta: must be an integer")));
        mvc.perform(post("/api/alerts/alertmanager").contentType(MediaType.APPLICATION_JSON)
                        .content(notification("firing", "\"alertname\":\"HighCpu\",\"environment\":\"mars\","
                                + "\"application\":\"webapp\"", "")))
                .andExpect(jsonPath("$.results[0].status").value("invalid"))
                .andExpect(jsonPath("$.results[0].detail").value(org.hamcrest.Matchers.containsString(
                        "environment: unknown environment")));
        mvc.perform(post("/api/alerts/alertmanager").contentType(MediaType.APPLICATION_JSON)
                        .content(notification("firing", "\"alertname\":\"X\",\"environment\":\"staging\","
                                + "\"application\":\"web;rm -rf /\"", "")))
                .andExpect(jsonPath("$.results[0].status").value("invalid"));
        assertThat(engine.getHistoryService().createHistoricProcessInstanceQuery().count()).isZero();
    }

    @Test
    void aBodyThatIsNoNotificationIs400() throws Exception {
        mvc.perform(post("/api/alerts/alertmanager").contentType(MediaType.APPLICATION_JSON).content("{\"x\":1}"))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.error").value("'alerts' must be an array"));
        mvc.perform(post("/api/alerts/alertmanager").contentType(MediaType.APPLICATION_JSON)
                        .content("{\"version\":\"3\",\"alerts\":[]}"))
                .andExpect(status().isBadRequest());
        mvc.perform(post("/api/alerts/alertmanager").contentType(MediaType.APPLICATION_JSON).content("[1,2]"))
                .andExpect(status().isBadRequest());
        assertThat(engine.getHistoryService().createHistoricProcessInstanceQuery().count()).isZero();
    }
}
