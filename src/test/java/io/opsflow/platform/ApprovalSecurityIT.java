package io.opsflow.platform;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.authorization.Authorization;
import org.camunda.bpm.engine.authorization.Permissions;
import org.camunda.bpm.engine.authorization.Resources;
import org.camunda.bpm.engine.history.HistoricVariableInstance;
import org.camunda.bpm.engine.runtime.Incident;
import org.camunda.bpm.engine.task.Task;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;

import io.opsflow.environments.Environment;
import io.opsflow.environments.Environments;
import io.opsflow.environments.HostConfig;
import io.opsflow.testsupport.RealComponent;
import io.opsflow.testsupport.RestClient;
import io.opsflow.testsupport.SandboxApp;

/**
 * The approval promise — nothing reaches production unless a second person signed off exactly what runs — tried as
 * an attacker would, over the engine REST API of the real application on the sandbox: as {@code operator}, as the
 * initiator, as {@code approver2}, anonymously and as {@code admin}, for {@code release-version} and
 * {@code restart-platform}. Every misuse is refused with the status docs/SECURITY.md documents, no production host
 * changes (read from the hosts themselves), and the refusal is visible in the run's audit
 * ({@code GET /api/runs/{id}/approval}) or in the log.
 */
@SandboxApp.Test
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ApprovalSecurityIT {
    static final Duration RUN = Duration.ofMinutes(3);

    @LocalServerPort
    int port;
    @Autowired
    ProcessEngine engine;
    @Autowired
    Environments environments;

    RestClient as(String user) {
        return user == null ? RestClient.anonymous(port) : RestClient.as(port, user);
    }

    /** The inner variable map {"name": {"value": v}} (RestClient.variables wraps it as {"variables": …}). */
    @SuppressWarnings("unchecked")
    static Map<String, Object> inner(Object... kv) {
        return (Map<String, Object>) RestClient.variables(kv).get("variables");
    }

    RestClient.Response startRelease(String user, Object... extra) {
        Map<String, Object> vars = new LinkedHashMap<>(inner("environment", "production",
                "application", "webapp", "version", "1.1.0", "strategy", "rolling", "reason", "CHG-77"));
        vars.putAll(inner(extra));
        return as(user).post("/engine-rest/process-definition/key/release-version/start", Map.of("variables", vars));
    }

    String started(RestClient.Response r) {
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json().get("id").asText();
    }

    /** host → version the production webapp answers on its own port (what the hosts really run). */
    Map<String, String> production() {
        Environment e = environments.get("production");
        Map<String, String> m = new LinkedHashMap<>();
        for (HostConfig h : e.hosts()) {
            for (String colour : List.of("blue", "green")) {
                m.put(h.name() + "/" + colour, versionAt("http://" + h.address() + ":"
                        + environments.instancePort(h, "webapp", colour)));
            }
        }
        return m;
    }

    String versionAt(String base) {
        return RestClient.versionAt(base);
    }

    long runs(String key) {
        return engine.getHistoryService().createHistoricProcessInstanceQuery().processDefinitionKey(key).count();
    }

    Object var(String pi, String name) {
        HistoricVariableInstance v = engine.getHistoryService().createHistoricVariableInstanceQuery()
                .processInstanceId(pi).variableName(name).singleResult();
        return v == null ? null : v.getValue();
    }

    JsonNode audit(String user, String pi) {
        RestClient.Response r = as(user).get("/api/runs/" + pi + "/approval");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json();
    }

    ListAppender<ILoggingEvent> captureLog() {
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(log);
        return log;
    }

    void detach(ListAppender<ILoggingEvent> log) {
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
                .detachAppender(log);
    }

    static List<String> messages(ListAppender<ILoggingEvent> log) {
        synchronized (log) {
            return log.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        }
    }

    void endRun(String pi) {
        if (engine.getRuntimeService().createProcessInstanceQuery().processInstanceId(pi).count() > 0) {
            engine.getRuntimeService().deleteProcessInstance(pi, "test clean-up");
        }
    }

    // ---------------------------------------------------------------------------- 1. start past the approval

    @Test
    @Order(1)
    void attack1_startPastTheApprovalIsRefusedAndNoHostChanges() {
        Map<String, String> before = production();
        long releases = runs("release-version");
        long restarts = runs("restart-platform");
        Map<String, Object> forged = new LinkedHashMap<>(inner("environment", "production",
                "application", "webapp", "version", "1.2.0", "strategy", "rolling", "reason", "x"));
        ListAppender<ILoggingEvent> log = captureLog();
        try {
            for (String user : List.of("operator", "approver", "approver2")) {
                RestClient.Response r = as(user).post("/engine-rest/process-definition/key/release-version/start",
                        Map.of("variables", forged, "startInstructions", List.of(Map.of("type",
                                "startBeforeActivity", "activityId", "Gateway_ApprovalDone"))));
                assertThat(r.status()).as(user + ": " + r.body()).isEqualTo(403);
                assertThat(r.body()).contains("RunPathForbidden").contains("start at their start event only");
            }
            RestClient.Response transition = as("operator").post(
                    "/engine-rest/process-definition/key/restart-platform/start", Map.of("variables",
                            inner("environment", "production", "mode", "emergency", "reason", "x"),
                            "startInstructions", List.of(Map.of("type", "startAfterActivity", "activityId",
                                    "Gateway_ApprovalDone"))));
            assertThat(transition.status()).as(transition.body()).isEqualTo(403);
            RestClient.Response anonymous = as(null).post(
                    "/engine-rest/process-definition/key/release-version/start", Map.of("variables", forged,
                            "startInstructions", List.of(Map.of("type", "startBeforeActivity", "activityId",
                                    "Gateway_ApprovalDone"))));
            assertThat(anonymous.status()).isEqualTo(401);
        } finally {
            detach(log);
        }
        assertThat(runs("release-version")).isEqualTo(releases);
        assertThat(runs("restart-platform")).isEqualTo(restarts);
        assertThat(messages(log)).anySatisfy(m -> assertThat(m).startsWith("REFUSED start-instructions by operator"));
        assertThat(production()).isEqualTo(before);
    }

    @Test
    @Order(2)
    void attack1_anAdministratorsPlacedRunMeetsTheActionGuardAndChangesNothing() {
        Map<String, String> before = production();
        RestClient.Response r = as("admin").post("/engine-rest/process-definition/key/release-version/start",
                Map.of("variables", inner("environment", "production", "application", "webapp",
                        "version", "1.2.0", "strategy", "blue-green", "reason", "admin test"),
                        "startInstructions", List.of(Map.of("type", "startBeforeActivity", "activityId",
                                "Task_DeployIdle"))));
        String pi = started(r);
        try {
            SandboxApp.await(() -> !SandboxApp.incidents(engine, pi).isEmpty(), RUN, "the refusal's incident");
            Incident incident = SandboxApp.incidents(engine, pi).get(0);
            assertThat(incident.getActivityId()).isEqualTo("Task_DeployIdle");
            assertThat(incident.getIncidentMessage()).contains("no approval record").contains("Nothing was changed");
            assertThat(audit("admin", pi).path("refusals").findValuesAsText("path")).contains("action");
            assertThat(production()).isEqualTo(before);
        } finally {
            endRun(pi);
        }
    }

    // -------------------------------------------------------------- 2. forged initiator, 4. engine-owned vars

    @Test
    @Order(3)
    void attack2_aForgedInitiatorIsRefusedAndTheInitiatorCannotApprove() {
        long releases = runs("release-version");
        RestClient.Response forged = startRelease("approver", "initiator", "approver2");
        assertThat(forged.status()).as(forged.body()).isEqualTo(400);
        assertThat(forged.body()).contains("initiator: is set by opsflow from the authenticated user");
        assertThat(runs("release-version")).isEqualTo(releases);
    }

    @Test
    @Order(4)
    void attack4_engineOwnedVariablesAtStartAreRefusedNamingThem() {
        long releases = runs("release-version");
        RestClient.Response r = startRelease("operator", "approved", true, "approvedBy", "approver2", "outcome",
                "SUCCEEDED", "batchCount", 1);
        assertThat(r.status()).as(r.body()).isEqualTo(400);
        JsonNode errors = r.json().get("errors");
        assertThat(errors.toString()).contains("approved: is not an input").contains("approvedBy: ")
                .contains("outcome: ").contains("batchCount: ");
        assertThat(runs("release-version")).isEqualTo(releases);
    }

    // ------------------------------------------------------------------------------- 3. swap at approval

    @Test
    @Order(5)
    void attack3_aSwapAtApprovalIsRefusedOnEveryPathAndTheApprovedVersionIsWhatRuns() {
        RealComponent.require("ansible-playbook", "apt-get install ansible-core");
        Map<String, String> before = production();
        String pi = started(startRelease("approver"));
        Task task = SandboxApp.awaitTask(engine, pi, "Task_Approve", RUN);
        String id = task.getId();
        JsonNode shown = as("approver2").get("/engine-rest/task/" + id + "/form-variables").json();
        assertThat(shown.path("requestedBy").path("value").asText()).isEqualTo("approver");

        // the initiator, an operator, the admin and nobody cannot decide
        Map<String, Object> ok = inner("approved", true, "comment", "ok");
        assertThat(as("approver").post("/engine-rest/task/" + id + "/complete", Map.of("variables", ok)).status())
                .isEqualTo(403);
        assertThat(as("operator").post("/engine-rest/task/" + id + "/complete", Map.of("variables", ok)).status())
                .isEqualTo(403);
        RestClient.Response byAdmin = as("admin").post("/engine-rest/task/" + id + "/complete",
                Map.of("variables", ok));
        assertThat(byAdmin.status()).as(byAdmin.body()).isEqualTo(403);
        assertThat(byAdmin.body()).contains("not in the approver group");
        assertThat(as(null).post("/engine-rest/task/" + id + "/complete", Map.of("variables", ok)).status())
                .isEqualTo(401);

        // approver2 may decide, but not edit: complete, submit-form and the variables API are refused
        Map<String, Object> swap = inner("approved", true, "version", "1.2.0", "releasePlan", "[]");
        RestClient.Response complete = as("approver2").post("/engine-rest/task/" + id + "/complete",
                Map.of("variables", swap));
        assertThat(complete.status()).as(complete.body()).isEqualTo(400);
        assertThat(complete.json().get("variables").toString()).isEqualTo("[\"releasePlan\",\"version\"]");
        RestClient.Response submit = as("approver2").post("/engine-rest/task/" + id + "/submit-form",
                Map.of("variables", swap));
        assertThat(submit.status()).as(submit.body()).isEqualTo(400);
        RestClient.Response setVar = as("approver2").post("/engine-rest/task/" + id + "/variables",
                Map.of("modifications", inner("version", "1.2.0")));
        assertThat(setVar.status()).as(setVar.body()).isIn(400, 403);
        assertThat(engine.getRuntimeService().getVariable(pi, "version")).isEqualTo("1.1.0");

        // an administrator's edit while the approval waits is refused when approver2 decides
        assertThat(as("admin").post("/engine-rest/process-instance/" + pi + "/variables",
                Map.of("modifications", inner("version", "1.2.0"))).status()).isEqualTo(204);
        RestClient.Response afterEdit = as("approver2").post("/engine-rest/task/" + id + "/complete",
                Map.of("variables", ok));
        assertThat(afterEdit.status()).as(afterEdit.body()).isEqualTo(400);
        assertThat(afterEdit.body()).contains("version");
        assertThat(as("admin").post("/engine-rest/process-instance/" + pi + "/variables",
                Map.of("modifications", inner("version", "1.1.0"))).status()).isEqualTo(204);

        JsonNode pending = audit("operator", pi);
        assertThat(pending.path("approval").path("decision").asText()).isEqualTo("PENDING");
        assertThat(pending.path("refusals").findValuesAsText("user")).contains("approver2");
        assertThat(production()).isEqualTo(before);

        // the use: approver2 approves with the form's fields; what runs is the approved 1.1.0
        RestClient.Response approved = as("approver2").post("/engine-rest/task/" + id + "/complete",
                Map.of("variables", inner("approved", true, "comment", "CHG-77 ok")));
        assertThat(approved.status()).as(approved.body()).isEqualTo(204);
        SandboxApp.awaitEnd(engine, pi, RUN);
        assertThat(var(pi, "outcome")).isEqualTo("SUCCEEDED");
        assertThat(production().values()).doesNotContain("1.2.0").contains("1.1.0");
        JsonNode record = audit("approver", pi);
        assertThat(record.path("initiator").asText()).isEqualTo("approver");
        assertThat(record.path("approval").path("decision").asText()).isEqualTo("APPROVED");
        assertThat(record.path("approval").path("decidedBy").asText()).isEqualTo("approver2");
        assertThat(record.path("approval").path("comment").asText()).isEqualTo("CHG-77 ok");
        assertThat(record.path("approval").path("evidenceSha256").asText()).hasSize(64);
        assertThat(record.path("approval").path("requestedBy").asText()).isEqualTo("approver");
        assertThat(record.path("approval").path("evidenceVariables").toString()).contains("\"version\"")
                .contains("\"releasePlan\"");
        assertThat(record.toString()).as("the audit names variables, never server paths")
                .doesNotContain(SandboxApp.varDir().toString());

        // restarting the finished run past its approval is refused as well
        String definitionId = engine.getHistoryService().createHistoricProcessInstanceQuery().processInstanceId(pi)
                .singleResult().getProcessDefinitionId();
        long releases = runs("release-version");
        RestClient.Response restart = as("operator").post("/engine-rest/process-definition/" + definitionId
                + "/restart", Map.of("processInstanceIds", List.of(pi), "initialVariables", true,
                "instructions", List.of(Map.of("type", "startBeforeActivity", "activityId", "Gateway_ApprovalDone"))));
        assertThat(restart.status()).as(restart.body()).isEqualTo(403);
        assertThat(runs("release-version")).isEqualTo(releases);
    }

    // --------------------------------------------------------------------- another runbook: restart-platform

    @Test
    @Order(6)
    void restartPlatformApprovalCannotBeEditedNorSkippedAndAModificationNeedsAnAdministrator() {
        Map<String, String> before = production();
        RestClient.Response start = as("approver").post("/engine-rest/process-definition/key/restart-platform/start",
                Map.of("variables", inner("environment", "production", "mode", "rolling",
                        "reason", "kernel patch")));
        String pi = started(start);
        try {
            Task task = SandboxApp.awaitTask(engine, pi, "Task_Approve", RUN);
            RestClient.Response escalate = as("approver2").post("/engine-rest/task/" + task.getId() + "/complete",
                    Map.of("variables", inner("approved", true, "mode", "emergency")));
            assertThat(escalate.status()).as(escalate.body()).isEqualTo(400);
            assertThat(escalate.body()).contains("mode");

            // a modification past the approval: Camunda refuses the operator (no UPDATE); granted UPDATE on the
            // instance, opsflow still refuses (only an administrator places tokens)
            Map<String, Object> modification = Map.of("instructions", List.of(Map.of("type", "startBeforeActivity",
                    "activityId", "Gateway_ApprovalDone")));
            assertThat(as("operator").post("/engine-rest/process-instance/" + pi + "/modification", modification)
                    .status()).isEqualTo(403);
            Authorization grant = engine.getAuthorizationService().createNewAuthorization(
                    Authorization.AUTH_TYPE_GRANT);
            grant.setUserId("operator");
            grant.setResource(Resources.PROCESS_INSTANCE);
            grant.setResourceId(pi);
            grant.addPermission(Permissions.UPDATE);
            engine.getAuthorizationService().saveAuthorization(grant);
            try {
                RestClient.Response mod = as("operator").post("/engine-rest/process-instance/" + pi
                        + "/modification", modification);
                assertThat(mod.status()).as(mod.body()).isEqualTo(403);
                assertThat(mod.body()).contains("Only an administrator may modify");
            } finally {
                engine.getAuthorizationService().deleteAuthorization(grant.getId());
            }
            assertThat(audit("operator", pi).path("refusals").findValuesAsText("path"))
                    .contains("approval-complete", "modification");

            RestClient.Response reject = as("approver2").post("/engine-rest/task/" + task.getId() + "/complete",
                    Map.of("variables", inner("approved", false, "comment", "not during the sale")));
            assertThat(reject.status()).as(reject.body()).isEqualTo(204);
            SandboxApp.awaitEnd(engine, pi, RUN);
            assertThat(var(pi, "outcome")).isEqualTo("REJECTED");
            assertThat(engine.getHistoryService().createHistoricActivityInstanceQuery().processInstanceId(pi)
                    .activityId("Task_RestartHost").count()).isZero();
            assertThat(audit("approver2", pi).path("approval").path("decision").asText()).isEqualTo("REJECTED");
            assertThat(production()).isEqualTo(before);
        } finally {
            endRun(pi);
        }
    }
}
