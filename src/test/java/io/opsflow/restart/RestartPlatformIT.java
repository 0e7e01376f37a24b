package io.opsflow.restart;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.task.Task;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.opsflow.environments.Environments;
import io.opsflow.testsupport.RestClient;
import io.opsflow.testsupport.SandboxApp;
import io.opsflow.testsupport.SlowRequests;

/**
 * restart-platform end to end on the sandbox: a rolling restart of production (approved by a second person) keeps
 * webapp answering through the load balancer the whole time — a request loop runs from before the start until the
 * run ended and must see zero failed requests, slow requests in flight when a host is drained are answered — and every
 * instance really restarted (new pid).
 */
@SandboxApp.Test
class RestartPlatformIT {
    static final ObjectMapper JSON = new ObjectMapper();

    @LocalServerPort
    int port;
    @Autowired
    ProcessEngine engine;
    @Autowired
    Environments environments;

    @Test
    void rollingRestartOfProductionNeverFailsARequest() throws Exception {
        RestClient operator = RestClient.as(port, "operator");
        Map<String, java.util.Set<Long>> pidsBefore = pids(operator);
        assertThat(pidsBefore).as("webapp runs on every production host").hasSize(3);

        String lb = environments.get("production").loadBalancer().url() + "/version";
        HttpClient http = HttpClient.newHttpClient();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger ok = new AtomicInteger();
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        Thread loop = new Thread(() -> {
            while (!stop.get()) {
                try {
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(lb))
                            .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() == 200) {
                        ok.incrementAndGet();
                    } else {
                        failures.add("HTTP " + r.statusCode() + " " + r.body());
                    }
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                } catch (Exception e) {
                    failures.add(e.toString());
                }
            }
        }, "restart-it-request-loop");
        loop.start();
        // and a slow request in flight on every instance when the run starts: each host is drained and finishes
        // it before its services restart (without the drain's wait the first would be cut off: 502)
        List<CompletableFuture<HttpResponse<String>>> slow = SlowRequests.inFlight(
                environments.get("production").loadBalancer().url(), pidsBefore.size(), 10);
        try {
            RestClient.Response started = operator.post("/engine-rest/process-definition/key/restart-platform/start",
                    RestClient.variables("environment", "production", "mode", "rolling", "batchSize", 1,
                            "reason", "rolling restart IT"));
            assertThat(started.status()).as(started.body()).isEqualTo(200);
            String pi = started.json().get("id").asText();

            Task approval = SandboxApp.awaitTask(engine, pi, "Task_Approve", Duration.ofMinutes(1));
            assertThat(operator.post("/engine-rest/task/" + approval.getId() + "/complete",
                    RestClient.variables("approved", true)).status()).as("four-eyes: the initiator cannot approve")
                    .isNotIn(200, 204);
            RestClient.Response approved = RestClient.as(port, "approver").post("/engine-rest/task/"
                    + approval.getId() + "/complete", RestClient.variables("approved", true, "comment", "go"));
            assertThat(approved.status()).as(approved.body()).isIn(200, 204);

            SandboxApp.awaitEnd(engine, pi, Duration.ofMinutes(5));
            assertThat(var(pi, "outcome")).isEqualTo("SUCCEEDED");
            JsonNode progress = JSON.readTree((String) var(pi, "hostProgress"));
            assertThat(progress.size()).isEqualTo(3);
            progress.fields().forEachRemaining(f -> assertThat(f.getValue().asText()).as(f.getKey()).isEqualTo("done"));
        } finally {
            stop.set(true);
            loop.join(10_000);
        }
        assertThat(failures).as("failed requests through the load balancer during the rolling restart").isEmpty();
        for (CompletableFuture<HttpResponse<String>> f : slow) {
            HttpResponse<String> r = f.get(60, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(r.statusCode()).as("a request in flight when its host was drained: " + r.body()).isEqualTo(200);
        }
        assertThat(ok.get()).as("requests answered during the run").isGreaterThan(50);

        Map<String, java.util.Set<Long>> pidsAfter = pids(operator);
        pidsBefore.forEach((host, pids) -> assertThat(pidsAfter.get(host)).as("new processes on " + host)
                .isNotEmpty().doesNotContainAnyElementsOf(pids));
    }

    private Object var(String pi, String name) {
        return engine.getHistoryService().createHistoricVariableInstanceQuery().processInstanceId(pi)
                .variableName(name).singleResult().getValue();
    }

    /** host -> pids of its live webapp instances, from the pid files in the sandbox hosts' roots. */
    private Map<String, java.util.Set<Long>> pids(RestClient operator) throws Exception {
        Map<String, java.util.Set<Long>> out = new java.util.TreeMap<>();
        for (JsonNode h : operator.get("/api/environments/production").json().get("hosts")) {
            java.nio.file.Path instances = SandboxApp.varDir().resolve("sandbox/hosts")
                    .resolve(h.get("name").asText()).resolve("apps/webapp/instances");
            java.util.Set<Long> live = new java.util.TreeSet<>();
            if (java.nio.file.Files.isDirectory(instances)) {
                try (var dirs = java.nio.file.Files.list(instances)) {
                    for (java.nio.file.Path d : dirs.toList()) {
                        java.nio.file.Path pidFile = d.resolve("run/app.pid");
                        if (java.nio.file.Files.isRegularFile(pidFile)) {
                            long pid = Long.parseLong(java.nio.file.Files.readString(pidFile).strip());
                            if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                                live.add(pid);
                            }
                        }
                    }
                }
            }
            if (!live.isEmpty()) {
                out.put(h.get("name").asText(), live);
            }
        }
        return out;
    }
}
