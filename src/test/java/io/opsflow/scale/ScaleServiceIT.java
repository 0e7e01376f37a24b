package io.opsflow.scale;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.camunda.bpm.engine.HistoryService;
import org.camunda.bpm.engine.ProcessEngine;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.opsflow.environments.Environments;
import io.opsflow.step.exec.StepLogs;
import io.opsflow.testsupport.RestClient;
import io.opsflow.testsupport.SandboxApp;
import io.opsflow.testsupport.SlowRequests;

/**
 * scale-service end to end on the sandbox: webapp in staging from 2 to 4 instances and back to 2, each time checked
 * through the load balancer (which instances answer /version) and on the hosts (what is registered and running);
 * requests in flight on the removed instances are answered, not cut off.
 */
@SandboxApp.Test
class ScaleServiceIT {
    static final ObjectMapper JSON = new ObjectMapper();

    @LocalServerPort
    int port;
    @Autowired
    ProcessEngine engine;
    @Autowired
    ScaleOperations ops;
    @Autowired
    Environments environments;

    @Test
    void scalesStagingWebappFromTwoToFourAndBackVerifiedThroughTheLoadBalancer() throws Exception {
        ScaleOperations.PoolState before = ops.inspect("staging", "webapp", StepLogs.noop());
        assertThat(before.instances()).as("the sandbox starts with webapp on both staging hosts").hasSize(2);

        String up = start(4);
        assertThat(outcome(up)).isEqualTo("SUCCEEDED");
        ScaleOperations.PoolState four = ops.inspect("staging", "webapp", StepLogs.noop());
        assertThat(four.instances()).hasSize(4);
        assertThat(four.instances()).extracting(AppInstance::key)
                .contains("staging-web-1/i1", "staging-web-2/i2");
        assertThat(four.version()).isEqualTo(before.version());
        Map<String, Integer> answers = throughLoadBalancer(80);
        assertThat(answers).as("every new instance answers through the load balancer")
                .containsKeys("i1", "i2");
        assertThat(answers.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(80);

        // back to 2 right away: an operator's scale does not wait for the cooldown unless asked to. Slow requests
        // are in flight on every instance when it starts: the removed instances are drained, finish theirs, and only
        // then stop
        List<CompletableFuture<HttpResponse<String>>> slow = SlowRequests.inFlight(
                environments.get("staging").loadBalancer().url(), 8, SLOW_SECONDS);
        String down = start(2);
        assertThat(outcome(down)).isEqualTo("SUCCEEDED");
        Map<String, Integer> finished = new TreeMap<>();
        for (CompletableFuture<HttpResponse<String>> f : slow) {
            HttpResponse<String> r = f.get(60, TimeUnit.SECONDS);
            assertThat(r.statusCode()).as("a request in flight during the scale-down: " + r.body()).isEqualTo(200);
            finished.merge(JSON.readTree(r.body()).get("instance").asText(), 1, Integer::sum);
        }
        assertThat(finished.keySet()).as("the removed instances answered what they had before they stopped")
                .containsAnyOf("i1", "i2");
        assertThat(ops.inspect("staging", "webapp", StepLogs.noop()).instances()).extracting(AppInstance::key)
                .containsExactlyInAnyOrderElementsOf(before.instances().stream().map(AppInstance::key).toList());
        Map<String, Integer> after = throughLoadBalancer(40);
        assertThat(after).doesNotContainKeys("i1", "i2");
        assertThat(after.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(40);

        // a third scale whose operator asks to wait for the cooldown is refused with the reason, nothing changes
        String third = start(3, "honourCooldown", true);
        assertThat(outcome(third)).isEqualTo("REJECTED");
        assertThat(engine.getHistoryService().createHistoricVariableInstanceQuery().processInstanceId(third)
                .variableName("rejectionReason").singleResult().getValue().toString())
                .startsWith("cooldown: staging/webapp was scaled by run " + down).contains("no further scale before");
        assertThat(ops.inspect("staging", "webapp", StepLogs.noop()).instances()).hasSize(2);

        // over REST: the retired ignoreCooldown is a 400 pointing to honourCooldown; the scale-requested message (the
        // alerts' start) cannot switch the cooldown off, and without such a variable it ends REJECTED: nothing changes
        long runsBefore = scaleRuns();
        RestClient.Response retired = RestClient.as(port, "operator").post(
                "/engine-rest/process-definition/key/scale-service/start", RestClient.variables("environment",
                        "staging", "application", "webapp", "instances", 3, "ignoreCooldown", true));
        assertThat(retired.status()).as(retired.body()).isEqualTo(400);
        assertThat(retired.json().get("type").asText()).isEqualTo("RunbookInputException");
        assertThat(retired.json().get("errors").get(0).asText()).startsWith("ignoreCooldown: is no longer an input")
                .contains("honourCooldown=true");
        RestClient.Response forged = RestClient.as(port, "operator").post("/engine-rest/message", message(
                "honourCooldown", false));
        assertThat(forged.status()).as(forged.body()).isEqualTo(400);
        assertThat(forged.json().get("errors").get(0).asText()).startsWith("honourCooldown: is for manual starts only");
        assertThat(scaleRuns()).as("nothing started").isEqualTo(runsBefore);
        RestClient.Response viaMessage = RestClient.as(port, "operator").post("/engine-rest/message", message());
        assertThat(viaMessage.status()).as(viaMessage.body()).isEqualTo(200);
        String messageRun = viaMessage.json().get(0).get("processInstance").get("id").asText();
        SandboxApp.awaitEnd(engine, messageRun, Duration.ofMinutes(1));
        assertThat(outcome(messageRun)).isEqualTo("REJECTED");
        assertThat(ops.inspect("staging", "webapp", StepLogs.noop()).instances()).hasSize(2);

        // an Alertmanager notification for the same application: authenticated, in cooldown, no run started
        long runs = engine.getHistoryService().createHistoricProcessInstanceQuery()
                .processDefinitionKey("scale-service").count();
        String alert = """
                {"version":"4","status":"firing","receiver":"opsflow","groupLabels":{},"commonLabels":{},
                 "commonAnnotations":{},"externalURL":"http://am","groupKey":"g","truncatedAlerts":0,
                 "alerts":[{"status":"firing","labels":{"alertname":"HighCpu","environment":"staging",
                 "application":"webapp"},"annotations":{"summary":"CPU > 70% for 5m"},"fingerprint":"f"}]}""";
        assertThat(RestClient.anonymous(port).post("/api/alerts/alertmanager", JSON.readTree(alert)).status())
                .isEqualTo(401);
        RestClient.Response webhook = RestClient.as(port, "operator").post("/api/alerts/alertmanager",
                JSON.readTree(alert));
        assertThat(webhook.status()).as(webhook.body()).isEqualTo(202);
        assertThat(webhook.json().get("results").get(0).get("status").asText()).isEqualTo("cooldown");
        assertThat(engine.getHistoryService().createHistoricProcessInstanceQuery()
                .processDefinitionKey("scale-service").count()).isEqualTo(runs);
    }

    private String start(int instances, Object... more) {
        Object[] kv = new Object[6 + more.length];
        kv[0] = "environment";
        kv[1] = "staging";
        kv[2] = "application";
        kv[3] = "webapp";
        kv[4] = "instances";
        kv[5] = instances;
        System.arraycopy(more, 0, kv, 6, more.length);
        RestClient.Response r = RestClient.as(port, "operator").post(
                "/engine-rest/process-definition/key/scale-service/start", RestClient.variables(kv));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        String pi = r.json().get("id").asText();
        SandboxApp.awaitEnd(engine, pi, Duration.ofMinutes(3));
        return pi;
    }

    private long scaleRuns() {
        return engine.getHistoryService().createHistoricProcessInstanceQuery().processDefinitionKey("scale-service")
                .count();
    }

    /** A scale-requested message (as an alert starts runs) for staging/webapp, delta 1, plus {@code more}. */
    private static Map<String, Object> message(Object... more) {
        Map<String, Object> vars = new java.util.LinkedHashMap<>();
        vars.put("environment", Map.of("value", "staging"));
        vars.put("application", Map.of("value", "webapp"));
        vars.put("delta", Map.of("value", 1));
        vars.put("metric", Map.of("value", "HighCpu"));
        for (int i = 0; i < more.length; i += 2) {
            vars.put((String) more[i], Map.of("value", more[i + 1]));
        }
        return Map.of("messageName", ScaleServiceRunbook.MESSAGE, "processVariables", vars, "resultEnabled", true);
    }

    private String outcome(String pi) {
        HistoryService h = engine.getHistoryService();
        return (String) h.createHistoricVariableInstanceQuery().processInstanceId(pi).variableName("outcome")
                .singleResult().getValue();
    }

    /** Longer than a fixed 5 s drain delay would allow: only waiting for the in-flight count keeps them alive. */
    static final int SLOW_SECONDS = 15;

    /** n requests through the staging load balancer; instance name -> answers; any failure fails the test. */
    private Map<String, Integer> throughLoadBalancer(int n) throws Exception {
        String lb = environments.get("staging").loadBalancer().url();
        HttpClient http = HttpClient.newHttpClient();
        Map<String, Integer> answers = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(lb + "/version"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            answers.merge(JSON.readTree(r.body()).get("instance").asText(), 1, Integer::sum);
        }
        return answers;
    }
}
