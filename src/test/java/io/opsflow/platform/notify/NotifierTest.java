package io.opsflow.platform.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import jakarta.mail.Message;
import jakarta.mail.internet.MimeMessage;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import com.fasterxml.jackson.databind.JsonNode;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * The channels against real servers: a real SMTP server (GreenMail on a free loopback port, with authentication)
 * and a real HTTP receiver; retries and the failure counter when the server is not there; secrets given as
 * references and never in a log line; configuration refused with a clear message.
 */
@ExtendWith(OutputCaptureExtension.class)
class NotifierTest {
    static final String SMTP_PASSWORD = "smtp-pa55word-4711";
    static final String URL_TOKEN = "T0K3N-b1c2d3e4";

    @TempDir
    Path dir;
    final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    Notifier notifier;
    GreenMail smtp;
    WebhookReceiver receiver;

    @AfterEach
    void tearDown() {
        if (notifier != null) {
            notifier.close();
        }
        if (smtp != null) {
            smtp.stop();
        }
        if (receiver != null) {
            receiver.close();
        }
    }

    static Notification approvalNeeded(String environment) {
        return new Notification(NotificationEvent.APPROVAL_NEEDED, "run-1", "release-version", environment,
                "[opsflow] Approval needed: release-version in " + environment + " (webapp 1.1.0)",
                List.of("Run run-1 of release-version waits for approval by group 'approvers'.", "",
                        "Plan: hosts, versions, batches:", "h1 1.0.0 -> 1.1.0"),
                "https://opsflow.example.test/camunda/app/tasklist/default/#/?task=t-1",
                Map.of("runbook", "release-version", "task", "t-1"), "approvers", "alice", Instant.EPOCH);
    }

    NotificationsProperties props(String environment, String... events) {
        NotificationsProperties p = new NotificationsProperties();
        p.setAttempts(3);
        p.setBackoff(Duration.ofMillis(20));
        p.setTimeout(Duration.ofSeconds(2));
        NotificationsProperties.Route r = new NotificationsProperties.Route();
        r.setEmail(List.of(events));
        r.setWebhook(List.of(events));
        p.getRoutes().put(environment, r);
        return p;
    }

    Path secret(String name, String value) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, value + "\n");
        return f;
    }

    double count(String meter, String channel, String event) {
        var c = meters.find(meter).tag("channel", channel).tag("event", event).counter();
        return c == null ? 0 : c.count();
    }

    static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void anEmailReachesARealSmtpServerForTheApproversWithThePasswordFromAReference(CapturedOutput out)
            throws Exception {
        smtp = new GreenMail(new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_SMTP).dynamicPort());
        smtp.setUser("opsflow@example.test", "opsflow", SMTP_PASSWORD);
        smtp.start();
        NotificationsProperties p = props("production", "all");
        p.getEmail().setHost("127.0.0.1");
        p.getEmail().setPort(smtp.getSmtp().getPort());
        p.getEmail().setUsername("opsflow");
        p.getEmail().setPasswordRef("file:" + secret("smtp", SMTP_PASSWORD));
        p.getEmail().setFrom("opsflow@example.test");
        p.getEmail().setTo(List.of("ops@example.test"));
        notifier = new Notifier(p, meters, n -> List.of("adam@example.test", "ada@example.test"));

        notifier.publish(approvalNeeded("production"));

        assertThat(smtp.waitForIncomingEmail(30_000, 1)).as("a message arrived").isTrue();
        MimeMessage m = smtp.getReceivedMessages()[0];
        assertThat(m.getSubject()).isEqualTo("[opsflow] Approval needed: release-version in production (webapp 1.1.0)");
        assertThat(m.getRecipients(Message.RecipientType.TO)).extracting(Object::toString)
                .containsExactly("adam@example.test", "ada@example.test", "ops@example.test");
        assertThat(m.getHeader("X-Opsflow-Event")).containsExactly("approval-needed");
        assertThat(((String) m.getContent()).replace("\r\n", "\n")).contains("Plan: hosts, versions, batches:\nh1 1.0.0 -> 1.1.0")
                .contains("https://opsflow.example.test/camunda/app/tasklist/default/#/?task=t-1");
        WebhookReceiver.waitFor(() -> count(Notifier.SENT, "email", "approval-needed") == 1, () -> "not counted");
        assertThat(out.getAll()).doesNotContain(SMTP_PASSWORD);
    }

    @Test
    void aClosedSmtpPortIsRetriedThenLoggedAndCounted(CapturedOutput out) throws Exception {
        NotificationsProperties p = props("production", "all");
        p.getEmail().setHost("127.0.0.1");
        p.getEmail().setPort(closedPort());
        notifier = new Notifier(p, meters, n -> List.of("adam@example.test"));

        notifier.publish(approvalNeeded("production"));

        WebhookReceiver.waitFor(() -> count(Notifier.FAILED, "email", "approval-needed") == 1,
                () -> "the failure was not counted");
        assertThat(out.getAll()).contains("attempt 1 of 3 failed").contains("attempt 2 of 3 failed")
                .contains("NOT delivered by email after 3 attempt(s)");
        assertThat(count(Notifier.SENT, "email", "approval-needed")).isZero();
        assertThat(notifier.pending()).isZero();
    }

    @Test
    void theSlackFormatIsTextAndBlocks() {
        receiver = new WebhookReceiver();
        NotificationsProperties p = props("production", "approvals");
        p.getWebhook().setUrl(receiver.url("/services/hook"));
        p.getWebhook().setFormat("slack");
        notifier = new Notifier(p, meters, n -> List.of());

        notifier.publish(approvalNeeded("production"));

        JsonNode body = receiver.await(r -> true, 1).get(0).body();
        assertThat(body.fieldNames()).toIterable().containsExactly("text", "blocks");
        assertThat(body.path("text").asText()).startsWith("[opsflow] Approval needed: release-version in production")
                .endsWith("?task=t-1");
        assertThat(body.path("blocks").get(0).path("type").asText()).isEqualTo("header");
        List<String> texts = new java.util.ArrayList<>();
        body.path("blocks").forEach(b -> texts.add(b.path("text").path("text").asText()));
        assertThat(texts).anyMatch(t -> t.contains("h1 1.0.0 -> 1.1.0"))
                .anyMatch(t -> t.equals("<https://opsflow.example.test/camunda/app/tasklist/default/#/?task=t-1"
                        + "|Open in Tasklist>"));
    }

    @Test
    void aWebhookUrlHoldingATokenIsAReferenceResolvedWhenSendingAndNeverLogged(CapturedOutput out) throws Exception {
        receiver = new WebhookReceiver();
        NotificationsProperties p = props("production", "all");
        Path ref = secret("hook-url", receiver.url("/hooks/" + URL_TOKEN));
        p.getWebhook().setUrlRef("file:" + ref);
        notifier = new Notifier(p, meters, n -> List.of());

        notifier.publish(approvalNeeded("production"));
        assertThat(receiver.await(r -> true, 1).get(0).path()).isEqualTo("/hooks/" + URL_TOKEN);

        // the same reference now names a port nobody listens on: retried, counted, and the URL never logged
        Files.writeString(ref, "http://127.0.0.1:" + closedPort() + "/hooks/" + URL_TOKEN);
        notifier.publish(approvalNeeded("production"));
        WebhookReceiver.waitFor(() -> count(Notifier.FAILED, "webhook", "approval-needed") == 1,
                () -> "the failure was not counted");
        assertThat(out.getAll()).contains("NOT delivered by webhook").doesNotContain(URL_TOKEN);
    }

    @Test
    void anEnvironmentWithoutARouteGetsNothingAndDefaultCoversTheRest() {
        receiver = new WebhookReceiver();
        NotificationsProperties p = props("production", "failures");
        p.getWebhook().setUrl(receiver.url("/hook"));
        notifier = new Notifier(p, meters, n -> List.of());
        assertThat(notifier.channelsFor(approvalNeeded("production"))).isEmpty();
        assertThat(notifier.channelsFor(approvalNeeded("staging"))).isEmpty();

        NotificationsProperties.Route all = new NotificationsProperties.Route();
        all.setWebhook(List.of("approval-needed"));
        p.getRoutes().put("default", all);
        notifier.close();
        notifier = new Notifier(p, meters, n -> List.of());
        assertThat(notifier.channelsFor(approvalNeeded("staging"))).extracting(NotificationChannel::name)
                .containsExactly("webhook");
        // e-mail has no host: not configured, never chosen
        assertThat(notifier.channelsFor(approvalNeeded("production"))).isEmpty();
    }

    @Test
    void badConfigurationIsRefusedNamingTheKey() {
        assertThatThrownBy(() -> new Notifier(props("production", "deploys"), meters, n -> List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("opsflow.notifications.routes.production.email")
                .hasMessageContaining("unknown notification event 'deploys'");
        NotificationsProperties plain = props("production", "all");
        plain.getWebhook().setAuthorizationRef("Bearer abc");
        assertThatThrownBy(() -> new Notifier(plain, meters, n -> List.of()))
                .hasMessageContaining("unsupported secret reference").hasMessageNotContaining("abc");
        NotificationsProperties xml = props("production", "all");
        xml.getWebhook().setFormat("xml");
        assertThatThrownBy(() -> new Notifier(xml, meters, n -> List.of())).hasMessageContaining("json or slack");
    }

    @Test
    void everyCounterExistsFromTheStartWithExactlyChannelAndEvent() {
        notifier = new Notifier(props("production", "all"), meters, n -> List.of());
        for (String meter : List.of(Notifier.SENT, Notifier.FAILED)) {
            assertThat(meters.find(meter).counters()).hasSize(16).allSatisfy(c -> assertThat(c.getId().getTags())
                    .extracting(t -> t.getKey()).containsExactly("channel", "event"));
        }
        assertThat(meters.find(Notifier.SENT).counters()).extracting(c -> c.getId().getTag("event")).containsOnly(
                "approval-needed", "approval-reminder", "approval-rejected", "approval-expired", "run-failed",
                "incident", "rolled-back", "succeeded");
    }
}
