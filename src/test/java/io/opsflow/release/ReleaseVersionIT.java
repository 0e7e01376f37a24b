package io.opsflow.release;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import org.camunda.bpm.engine.ProcessEngine;

import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.camunda.bpm.engine.history.HistoricVariableInstance;
import org.camunda.bpm.engine.task.Task;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.web.server.LocalServerPort;

import com.fasterxml.jackson.databind.JsonNode;

import io.opsflow.environments.Environment;
import io.opsflow.environments.Environments;
import io.opsflow.environments.HostConfig;
import io.opsflow.testsupport.RealComponent;
import io.opsflow.testsupport.RestClient;
import io.opsflow.testsupport.SlowRequests;
import io.opsflow.testsupport.SandboxApp;

/**
 * release-version and deploy-application end to end: the whole application in sandbox mode, started and approved
 * over REST as the sandbox users, real steps against the real fleet, checked from outside (each instance's own
 * {@code /version}, the load balancer's answers and admin API). Reads the state it starts from: the fleet is shared
 * with other end-to-end tests.
 */
@SandboxApp.Test
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReleaseVersionIT {
    static final Duration RUN = Duration.ofMinutes(5);
    static final List<String> GOOD = List.of("1.1.0", "1.2.0");

    @LocalServerPort
    int port;
    @Value("${logging.pattern.level}")
    String logPattern;
    @Autowired
    ProcessEngine engine;
    @Autowired
    Environments environments;

    RestClient as(String user) {
        return RestClient.as(port, user);
    }

    String start(String user, String key, Object... kv) {
        RestClient.Response r = as(user).post("/engine-rest/process-definition/key/" + key + "/start",
                RestClient.variables(kv));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json().get("id").asText();
    }

    Object var(String pi, String name) {
        HistoricVariableInstance v = engine.getHistoryService().createHistoricVariableInstanceQuery()
                .processInstanceId(pi).variableName(name).singleResult();
        return v == null ? null : v.getValue();
    }

    String runToEnd(String pi) {
        SandboxApp.awaitEnd(engine, pi, RUN);
        return (String) var(pi, "outcome");
    }

    // ---------------------------------------------------------------- the fleet, seen from outside

    JsonNode pool(String env, String app) {
        String api = environments.get(env).loadBalancer().apiUrl();
        return as(null).getAbsolute(api + "/_lb/pools").json().path("pools").path(app);
    }

    String activeColour(String env) {
        JsonNode a = pool(env, "webapp").get("active");
        return a == null || a.isNull() ? null : a.asText();
    }

    /** host → version answered by the instance of the active colour on its own port ("down" when it does not answer). */
    Map<String, String> served(String env) {
        Environment e = environments.get(env);
        String colour = activeColour(env) == null ? "blue" : activeColour(env);
        Map<String, String> m = new LinkedHashMap<>();
        for (HostConfig h : e.hosts()) {
            m.put(h.name(), versionAt("http://" + h.address() + ":" + environments.instancePort(h, "webapp", colour)));
        }
        return m;
    }

    String versionAt(String base) {
        return RestClient.versionAt(base);
    }

    /** Versions answering through the load balancer over a number of requests. */
    Set<String> throughLb(String env, String path, int samples) {
        String lb = environments.get(env).loadBalancer().url();
        Set<String> seen = new LinkedHashSet<>();
        for (int i = 0; i < samples; i++) {
            seen.add(versionAt(lb + path));
        }
        return seen;
    }

    static String other(String current) {
        return GOOD.stream().filter(v -> !v.equals(current)).findFirst().orElseThrow();
    }

    // ---------------------------------------------------------------- tests

    @Test
    @Order(1)
    void releaseToStagingSucceedsAndEveryInstanceServesTheNewVersion() {
        RealComponent.require("ansible-playbook", "apt-get install ansible-core");
        Map<String, String> before = served("staging");
        assertThat(new LinkedHashSet<>(before.values())).as("staging serves one version to start with").hasSize(1);
        String target = other(before.values().iterator().next());

        ListAppender<ILoggingEvent> log = new ListAppender<>();
        ch.qos.logback.classic.Logger root = (ch.qos.logback.classic.Logger) LoggerFactory
                .getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        log.start();
        root.addAppender(log);
        String pi;
        // a slow request is in flight on every instance when the release starts, still running when the first batch
        // is activated (evidence gathering comes first): each instance is drained and finishes it, with the version
        // it had, before it is switched. Without the drain's wait the first one would be cut off (502).
        List<CompletableFuture<HttpResponse<String>>> slow = SlowRequests.inFlight(
                environments.get("staging").loadBalancer().url(), before.size(), 25);
        try {
            pi = start("operator", "release-version", "environment", "staging", "application", "webapp",
                    "version", target, "strategy", "rolling", "batchSize", 1);
            assertThat(runToEnd(pi)).isEqualTo("SUCCEEDED");
        } finally {
            root.detachAppender(log);
        }
        for (CompletableFuture<HttpResponse<String>> f : slow) {
            HttpResponse<String> r = f.join();
            assertThat(r.statusCode()).as("a request in flight when its instance was switched: " + r.body())
                    .isEqualTo(200);
            assertThat(r.body()).contains("\"version\":\"" + before.values().iterator().next() + "\"");
        }
        // one run's lines can be grepped by its id: every line a step writes carries pi=<id> act=<activity>
        PatternLayout line = new PatternLayout();
        line.setContext(root.getLoggerContext());
        line.setPattern(logPattern + " %logger{0} - %msg");
        line.start();
        List<String> runLines;
        synchronized (log) {
            runLines = log.list.stream().map(line::doLayout).filter(l -> l.contains("[pi=" + pi + " ")).toList();
        }
        assertThat(runLines).anySatisfy(l -> assertThat(l).contains("act=Task_GatherEvidence]")
                .contains("GatherReleaseEvidenceDelegate - release webapp " + target + " to staging: planned"));
        assertThat(runLines).anySatisfy(l -> assertThat(l).containsPattern("act=Task_HealthGate\\w*\\]")
                .contains("health gate batch"));
        assertThat(served("staging").values()).containsOnly(target);
        assertThat(throughLb("staging", "", 10)).containsExactly(target);
        assertThat(ReleaseJson.versions((String) var(pi, "hostsBefore"))).isEqualTo(before);
        assertThat(ReleaseJson.versions((String) var(pi, "hostsAfter")).values()).containsOnly(target);
        assertThat((String) var(pi, "checkDiff")).contains(target);
        assertThat(var(pi, "initiator")).isEqualTo("operator");
    }

    @Test
    @Order(2)
    void brokenVersionRollsBackWithEveryStrategy() {
        RealComponent.require("ansible-playbook", "apt-get install ansible-core");
        for (String strategy : List.of("rolling", "blue-green", "canary")) {
            Map<String, String> before = served("staging");
            String colour = activeColour("staging");

            String pi = start("operator", "release-version", "environment", "staging", "application", "webapp",
                    "version", "2.0.0-broken", "strategy", strategy, "batchSize", 1, "canaryBake", "PT2S",
                    "canaryChecks", 2);

            assertThat(runToEnd(pi)).as(strategy + ": " + var(pi, "rollbackReason") + " / " + var(pi,
                    "failureReason")).isEqualTo("ROLLED_BACK");
            assertThat(served("staging")).as(strategy).isEqualTo(before);
            assertThat(activeColour("staging")).as(strategy).isEqualTo(colour);
            assertThat(throughLb("staging", "", 10)).as(strategy).containsExactlyElementsOf(
                    new LinkedHashSet<>(before.values()));
            assertThat((String) var(pi, "rollbackReason")).as(strategy).isNotBlank();
            assertThat(ReleaseJson.strings((String) var(pi, "restoredHosts"))).as(strategy).isNotEmpty();
            // nothing of the broken version answers anywhere: neither colour on any host
            for (HostConfig h : environments.get("staging").hosts()) {
                for (String c : List.of("blue", "green")) {
                    assertThat(versionAt("http://" + h.address() + ":" + environments.instancePort(h, "webapp", c)))
                            .as(strategy + " " + h.name() + "/" + c).isNotEqualTo("2.0.0-broken");
                }
            }
        }
    }

    @Test
    @Order(3)
    void productionWaitsForApprovalThatOnlyAnotherApproverCanGive() {
        RealComponent.require("ansible-playbook", "apt-get install ansible-core");
        Map<String, String> before = served("production");
        String target = other(before.values().iterator().next());

        String pi = start("approver", "release-version", "environment", "production", "application", "webapp",
                "version", target, "strategy", "blue-green", "reason", "CHG-1234: new pricing");
        Task task = SandboxApp.awaitTask(engine, pi, "Task_Approve", RUN);

        RestClient.Response form = as("approver2").get("/engine-rest/task/" + task.getId() + "/deployed-form");
        assertThat(form.status()).as(form.body()).isEqualTo(200);
        assertThat(form.body()).contains("release-version-approval").contains("\"approved\"")
                .contains("evidenceSummary");
        String evidence = as("approver2").get("/engine-rest/task/" + task.getId() + "/variables/evidenceSummary")
                .json().get("value").asText();
        assertThat(evidence).contains("-> " + target).contains("switch the load balancer");
        assertThat(served("production")).isEqualTo(before);

        Object approve = RestClient.variables("approved", true, "comment", "looks good");
        RestClient.Response byOperator = as("operator").post("/engine-rest/task/" + task.getId() + "/complete",
                approve);
        assertThat(byOperator.status()).as(byOperator.body()).isEqualTo(403);
        RestClient.Response byInitiator = as("approver").post("/engine-rest/task/" + task.getId() + "/complete",
                approve);
        // approver is in the approvers group, yet refused: the four-eyes REVOKE on the initiator (or the guard)
        assertThat(byInitiator.status()).as(byInitiator.body()).isEqualTo(403);
        assertThat(byInitiator.body()).containsAnyOf("Four-eyes", "TASK_WORK");
        RestClient.Response claim = as("approver").post("/engine-rest/task/" + task.getId() + "/claim",
                java.util.Map.of("userId", "approver"));
        assertThat(claim.status()).as(claim.body()).isEqualTo(403);
        assertThat(engine.getTaskService().createTaskQuery().taskId(task.getId()).count()).isOne();

        RestClient.Response ok = as("approver2").post("/engine-rest/task/" + task.getId() + "/complete", approve);
        assertThat(ok.status()).as(ok.body()).isEqualTo(204);
        assertThat(runToEnd(pi)).isEqualTo("SUCCEEDED");
        assertThat(var(pi, "approvedBy")).isEqualTo("approver2");
        assertThat(served("production").values()).containsOnly(target);
        assertThat(throughLb("production", "", 12)).containsExactly(target);
    }

    @Test
    @Order(4)
    void invalidInputAndASecondReleaseAreRefused() {
        RestClient.Response bad = as("operator").post("/engine-rest/process-definition/key/release-version/start",
                RestClient.variables("environment", "staging", "application", "webapp", "version", "1.1.0",
                        "batchSize", 0));
        assertThat(bad.status()).as(bad.body()).isEqualTo(400);
        assertThat(bad.body()).contains("batchSize");

        String target = other(served("staging").values().iterator().next());
        String pi = start("operator", "release-version", "environment", "staging", "application", "webapp",
                "version", target);
        RestClient.Response second = as("operator").post("/engine-rest/process-definition/key/deploy-application"
                + "/start", RestClient.variables("environment", "staging", "application", "webapp", "version",
                target));
        assertThat(second.status()).as(second.body()).isEqualTo(409);
        assertThat(second.body()).contains("release:staging/webapp").contains(pi);
        assertThat(runToEnd(pi)).isEqualTo("SUCCEEDED");
    }

    @Test
    @Order(5)
    void deployApplicationInstallsTheApiOnceAndRefusesTheSecondTime() {
        RealComponent.require("ansible-playbook", "apt-get install ansible-core");
        String env = pool("staging", "api").path("backends").size() == 0 ? "staging" : "production";
        String pi = start("operator", "deploy-application", "environment", env, "application", "api",
                "version", "1.0.0", "reason", "first deployment of the api");
        if (environments.get(env).requiresApproval()) {
            Task task = SandboxApp.awaitTask(engine, pi, "Task_Approve", RUN);
            assertThat(as("approver2").post("/engine-rest/task/" + task.getId() + "/complete",
                    RestClient.variables("approved", true)).status()).isEqualTo(204);
        }
        assertThat(runToEnd(pi)).as(String.valueOf(var(pi, "failureReason"))).isEqualTo("SUCCEEDED");
        assertThat(throughLb(env, "/api", 6)).containsExactly("1.0.0");
        for (HostConfig h : environments.get(env).hosts()) {
            assertThat(versionAt("http://" + h.address() + ":" + environments.instancePort(h, "api", "blue")))
                    .isEqualTo("1.0.0");
        }

        String again = start("operator", "deploy-application", "environment", env, "application", "api",
                "version", "1.1.0", "reason", "again");
        if (environments.get(env).requiresApproval()) {
            Task task = SandboxApp.awaitTask(engine, again, "Task_Approve", RUN);
            as("approver2").post("/engine-rest/task/" + task.getId() + "/complete",
                    RestClient.variables("approved", true));
        }
        assertThat(runToEnd(again)).isEqualTo("FAILED");
        assertThat((String) var(again, "failureReason")).contains("api is already deployed in " + env)
                .contains("release-version");
        assertThat(throughLb(env, "/api", 4)).containsExactly("1.0.0");
    }
}
