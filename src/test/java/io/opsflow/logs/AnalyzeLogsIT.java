package io.opsflow.logs;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;

import org.camunda.bpm.engine.IdentityService;
import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.identity.User;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

import com.fasterxml.jackson.databind.JsonNode;

import io.opsflow.testsupport.RealComponent;
import io.opsflow.testsupport.RestClient;
import io.opsflow.testsupport.SandboxApp;

/**
 * analyze-logs end to end on the sandbox: a broken release (2.0.0-broken) goes to staging and rolls back, then a log
 * analysis of the last minutes, started over REST like any runbook, reads every host's logs over SSH and its report
 * names the host that failed, the release run that broke it and the error; the report is served to whoever may read
 * the run, and to no one else. Misuse next to the use: a bad window, an injected pattern, another user.
 */
@SandboxApp.Test
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AnalyzeLogsIT {
    static final Duration RUN = Duration.ofMinutes(5);
    static String releaseRun;
    static String analysisRun;

    @LocalServerPort
    int port;
    @Autowired
    ProcessEngine engine;

    RestClient as(String user) {
        return RestClient.as(port, user);
    }

    String start(String key, Object... kv) {
        return SandboxApp.start(as("operator"), key, kv);
    }

    Object var(String pi, String name) {
        return SandboxApp.var(engine, pi, name);
    }

    @Test
    @Order(1)
    void aBrokenReleaseIsNamedWithItsHostAndErrorInTheAnalysisOfItsWindow() {
        RealComponent.require("ansible-playbook", "apt-get install ansible-core");
        releaseRun = start("release-version", "environment", "staging", "application", "webapp", "version",
                "2.0.0-broken", "strategy", "rolling", "batchSize", 1);
        SandboxApp.awaitEnd(engine, releaseRun, RUN);
        assertThat(var(releaseRun, "outcome")).as(String.valueOf(var(releaseRun, "rollbackReason")))
                .isEqualTo("ROLLED_BACK");

        analysisRun = start("analyze-logs", "environment", "staging", "application", "webapp", "window", "PT10M",
                "patterns", "status_code\n(a+)+$\n$(touch /tmp/opsflow-pwned)\n*health check*");
        SandboxApp.awaitEnd(engine, analysisRun, RUN);
        assertThat(SandboxApp.incidents(engine, analysisRun)).isEmpty();
        assertThat(var(analysisRun, "outcome")).isEqualTo("SUCCEEDED");
        assertThat(var(analysisRun, "logSource")).isEqualTo("ssh");

        String summary = (String) var(analysisRun, "logSummary");
        assertThat((String) var(analysisRun, "topSignature")).contains("column orders.status_code does not exist")
                .contains("<uuid>").doesNotContainPattern("[0-9a-f]{8}-[0-9a-f]{4}");
        assertThat(summary).containsPattern("Errors on staging-web-[0-9]+ (began [0-9]+ s|continued) after "
                + "release run " + releaseRun + " switched it to 2.0.0-broken")
                .contains("column orders.status_code does not exist");
        assertThat((Long) var(analysisRun, "errorCount")).isPositive();

        // the report, served with the run's authorization, linked from the run
        String href = (String) var(analysisRun, "logReportHref");
        assertThat(href).isEqualTo("/api/runs/" + analysisRun + "/log-analysis.html");
        RestClient.Response html = as("operator").get(href);
        assertThat(html.status()).as(html.body()).isEqualTo(200);
        assertThat(html.body()).contains("<svg").contains("class=\"moment\"").contains(releaseRun)
                .contains("column orders.status_code does not exist").containsPattern("data-host=\"staging-web-");
        RestClient.Response json = as("approver").get((String) var(analysisRun, "logReportJsonHref"));
        assertThat(json.status()).as(json.body()).isEqualTo(200);
        JsonNode report = json.json();
        assertThat(report.path("source").asText()).startsWith("ssh");
        // the fleet is shared: other releases may be in the window too; this one is among the causes
        assertThat(report.path("correlations").findValuesAsText("runId")).contains(releaseRun);
        // the patterns were counted as text: the regex and the shell syntax matched nothing and ran nothing
        assertThat(report.path("patternCounts").path("status_code").asLong()).isPositive();
        assertThat(report.path("patternCounts").path("(a+)+$").asLong()).isZero();
        assertThat(report.path("patternCounts").path("$(touch /tmp/opsflow-pwned)").asLong()).isZero();
        assertThat(report.path("patternCounts").path("*health check*").asLong()).isPositive();
        assertThat(java.nio.file.Path.of("/tmp/opsflow-pwned")).doesNotExist();
    }

    @Test
    @Order(2)
    void theReleaseThatRolledBackCarriesALogAnalysisOfItsWindow() {
        org.junit.jupiter.api.Assumptions.assumeTrue(releaseRun != null, "needs the release of test 1");
        String attached = (String) var(releaseRun, "logAnalysisRun");
        assertThat(attached).as("the rolled-back release starts an analysis of its window").isNotNull();
        assertThat(var(releaseRun, "logReportHref")).isEqualTo("/api/runs/" + attached + "/log-analysis.html");
        SandboxApp.awaitEnd(engine, attached, RUN);
        assertThat(var(attached, "outcome")).isEqualTo("SUCCEEDED");
        assertThat((String) var(attached, "reason")).contains(releaseRun);
        assertThat((String) var(attached, "logSummary")).contains("after release run " + releaseRun
                + " switched it to 2.0.0-broken");
        RestClient.Response html = as("operator").get((String) var(releaseRun, "logReportHref"));
        assertThat(html.status()).as(html.body()).isEqualTo(200);
        assertThat(html.body()).contains(releaseRun);
    }

    @Test
    @Order(3)
    void aBadWindowIsA400AndStartsNothing() {
        long before = engine.getHistoryService().createHistoricProcessInstanceQuery()
                .processDefinitionKey("analyze-logs").count();
        for (Object[] bad : List.of(new Object[] {"window", "thirty minutes"}, new Object[] {"window", "P30D"},
                new Object[] {"from", "2026-12-06T21:00:00Z"}, new Object[] {"windowFrom", "2020-01-01T00:00:00Z"},
                new Object[] {"hosts", "staging-web-1;reboot"})) {
            RestClient.Response r = as("operator").post("/engine-rest/process-definition/key/analyze-logs/start",
                    RestClient.variables("environment", "staging", bad[0], bad[1]));
            assertThat(r.status()).as(bad[0] + "=" + bad[1] + ": " + r.body()).isEqualTo(400);
            assertThat(r.body()).contains(String.valueOf(bad[0]));
        }
        assertThat(engine.getHistoryService().createHistoricProcessInstanceQuery()
                .processDefinitionKey("analyze-logs").count()).isEqualTo(before);
    }

    @Test
    @Order(4)
    void theReportIsForThoseWhoMayReadTheRunOnly() {
        org.junit.jupiter.api.Assumptions.assumeTrue(analysisRun != null, "needs the analysis of test 1");
        IdentityService ids = engine.getIdentityService();
        if (ids.createUserQuery().userId("outsider").count() == 0) {
            User u = ids.newUser("outsider");
            u.setPassword("outsider");
            ids.saveUser(u);
        }
        String path = "/api/runs/" + analysisRun + "/log-analysis.html";
        assertThat(as("outsider").get(path).status()).isEqualTo(404);
        assertThat(as("outsider").get("/api/runs/" + analysisRun + "/log-analysis.json").status()).isEqualTo(404);
        assertThat(RestClient.anonymous(port).get(path).status()).isEqualTo(401);
        // a run without an analysis, and ids that are not ids
        RestClient.Response none = as("operator").get("/api/runs/" + releaseRun + "/log-analysis.html");
        assertThat(none.status()).isEqualTo(404);
        assertThat(none.body()).contains("has no log analysis");
        assertThat(as("operator").get("/api/runs/..%2F..%2Fetc/log-analysis.html").status()).isIn(400, 404);
    }

    @Test
    @Order(5)
    void anAlertmanagerAlertStartsAnAnalysisOfItsWindow() {
        String now = java.time.Instant.now().minusSeconds(120).toString();
        RestClient.Response r = as("operator").post("/api/alerts/alertmanager/analyze-logs", java.util.Map.of(
                "version", "4", "status", "firing", "alerts", List.of(
                        java.util.Map.of("status", "firing", "startsAt", now, "labels", java.util.Map.of(
                                "alertname", "HighErrorRate", "environment", "staging", "application", "webapp"),
                                "annotations", java.util.Map.of("summary", "5xx above 5%")),
                        java.util.Map.of("status", "firing", "labels", java.util.Map.of("alertname", "Again",
                                "environment", "staging", "application", "webapp")),
                        java.util.Map.of("status", "resolved", "labels", java.util.Map.of("environment", "staging")),
                        java.util.Map.of("status", "firing", "labels", java.util.Map.of("alertname", "Bad",
                                "environment", "staging", "host", "staging-web-1;reboot")))));
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        JsonNode results = r.json().get("results");
        assertThat(results.get(0).get("status").asText()).isEqualTo("started");
        assertThat(results.get(1).get("status").asText()).isEqualTo("duplicate");
        assertThat(results.get(2).get("status").asText()).isEqualTo("ignored");
        assertThat(results.get(3).get("status").asText()).isEqualTo("invalid");
        assertThat(results.get(3).get("detail").asText()).contains("hosts");
        String pi = results.get(0).get("processInstanceId").asText();
        SandboxApp.awaitEnd(engine, pi, RUN);
        assertThat(var(pi, "outcome")).isEqualTo("SUCCEEDED");
        assertThat((String) var(pi, "reason")).isEqualTo("Alertmanager: HighErrorRate: 5xx above 5%");
        assertThat(var(pi, "initiator")).isEqualTo("alertmanager");
        assertThat(as("operator").post("/api/alerts/alertmanager/analyze-logs", java.util.Map.of("alerts", "no"))
                .status()).isEqualTo(400);
        assertThat(RestClient.anonymous(port).post("/api/alerts/alertmanager/analyze-logs", java.util.Map.of(
                "alerts", List.of())).status()).isEqualTo(401);
    }
}
