package io.opsflow.platform.notify;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.task.Task;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

import com.fasterxml.jackson.databind.JsonNode;

import io.micrometer.core.instrument.MeterRegistry;

import io.opsflow.testsupport.RealComponent;
import io.opsflow.testsupport.RestClient;
import io.opsflow.testsupport.SandboxApp;

/**
 * Notifications end to end in sandbox mode: a production release started over REST waits for its approval, and the
 * sandbox's real SMTP server (GreenMail on loopback) receives the approval-needed mail for the approver group's
 * members with the Tasklist link and the evidence the approval form shows; the rejection reaches the initiator;
 * {@code GET /api/sandbox/mail} shows what was caught to administrators only; the counters count.
 */
@SandboxApp.Test
class NotificationsIT {
    static final Duration RUN = Duration.ofMinutes(5);

    @LocalServerPort
    int port;
    @Autowired
    ProcessEngine engine;
    @Autowired
    MeterRegistry meters;

    double count(String meter, String channel, String event) {
        var c = meters.find(meter).tag("channel", channel).tag("event", event).counter();
        return c == null ? 0 : c.count();
    }

    RestClient as(String user) {
        return RestClient.as(port, user);
    }

    /** Waits until the sandbox caught the mail of {@code event} for run {@code pi}, as the admin reads it. */
    JsonNode awaitMail(String event, String pi) {
        List<JsonNode> found = new ArrayList<>();
        SandboxApp.await(() -> {
            found.clear();
            RestClient.Response r = as("admin").get("/api/sandbox/mail");
            if (r.status() == 200) {
                r.json().forEach(m -> {
                    if (event.equals(m.path("event").asText()) && pi.equals(m.path("run").asText())) {
                        found.add(m);
                    }
                });
            }
            return !found.isEmpty();
        }, Duration.ofSeconds(60), event + " mail of run " + pi);
        assertThat(found).as("one message for all its recipients").hasSize(1);
        return found.get(0);
    }

    @Test
    void aProductionReleaseMailsItsApproversTheTasklistLinkAndTheEvidenceAndItsRejectionToTheInitiator() {
        RealComponent.require("ansible-playbook", "apt-get install ansible-core");
        String state = as("operator").get("/api/environments/production").body();
        String target = state.contains("\"1.1.0\"") ? "1.2.0" : "1.1.0";
        String pi = SandboxApp.start(as("operator"), "release-version", "environment", "production", "application",
                "webapp", "version", target, "strategy", "rolling", "reason", "CHG-77: notify the approvers");
        Task task = SandboxApp.awaitTask(engine, pi, "Task_Approve", RUN);

        JsonNode asked = awaitMail("approval-needed", pi);
        assertThat(asked.path("to")).extracting(JsonNode::asText)
                .containsExactlyInAnyOrder("approver@sandbox.opsflow.local", "approver2@sandbox.opsflow.local");
        assertThat(asked.path("subject").asText())
                .isEqualTo("[opsflow] Approval needed: release-version in production (webapp " + target + ")");
        String text = asked.path("text").asText().replace("\r\n", "\n");
        assertThat(text).contains("/camunda/app/tasklist/default/#/?task=" + task.getId())
                .contains("started by operator").contains("waits for approval by group 'approvers'")
                .contains("Reason: CHG-77: notify the approvers").contains("Plan: hosts, versions, batches:")
                .contains(String.valueOf(engine.getRuntimeService().getVariable(pi, "evidenceSummary")).strip()
                        .lines().findFirst().orElseThrow());

        // caught mail is for administrators
        assertThat(as("operator").get("/api/sandbox/mail").status()).isEqualTo(403);
        assertThat(RestClient.anonymous(port).get("/api/sandbox/mail").status()).isEqualTo(401);

        assertThat(as("approver2").post("/engine-rest/task/" + task.getId() + "/complete",
                RestClient.variables("approved", false, "comment", "not before the freeze ends")).status())
                .isEqualTo(204);
        SandboxApp.awaitEnd(engine, pi, RUN);

        JsonNode rejected = awaitMail("approval-rejected", pi);
        assertThat(rejected.path("to")).extracting(JsonNode::asText).containsExactly("operator@sandbox.opsflow.local");
        assertThat(rejected.path("text").asText()).contains("rejected by approver2: not before the freeze ends");

        // the counters the dashboards read (exported by Prometheus outside tests)
        SandboxApp.await(() -> count(Notifier.SENT, "email", "approval-rejected") >= 1, Duration.ofSeconds(30),
                "the sent counter");
        assertThat(count(Notifier.SENT, "email", "approval-needed")).isGreaterThanOrEqualTo(1);
        assertThat(meters.find(Notifier.FAILED).tag("channel", "webhook").tag("event", "incident").counter())
                .isNotNull();
    }
}
