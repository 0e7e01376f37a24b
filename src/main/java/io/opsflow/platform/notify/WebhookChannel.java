package io.opsflow.platform.notify;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.opsflow.step.exec.SecretRef;
import io.opsflow.step.exec.Lazy;

/**
 * A JSON POST to {@code opsflow.notifications.webhook.url} (or the URL behind {@code url-ref}), with the
 * {@code Authorization} header behind {@code authorization-ref}. Format {@code json}: opsflow's document
 * ({@code event, runbook, runId, environment, subject, text, link, facts, at}); format {@code slack}: a Slack
 * incoming-webhook payload ({@code {"text": …, "blocks": […]}}). A 2xx answer is delivered; anything else fails.
 */
final class WebhookChannel implements NotificationChannel {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Slack refuses a section text over 3,000 characters. */
    static final int SLACK_SECTION_MAX = 2900;

    private final NotificationsProperties.Webhook cfg;
    private final Duration timeout;
    private final Lazy<HttpClient> client; // built on the first notification, not at start

    WebhookChannel(NotificationsProperties.Webhook cfg, Duration timeout) {
        this.cfg = cfg;
        this.timeout = timeout;
        this.client = new Lazy<>(() -> HttpClient.newBuilder().connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NEVER).build());
        if (!"json".equals(cfg.getFormat()) && !"slack".equals(cfg.getFormat())) {
            throw new IllegalArgumentException("opsflow.notifications.webhook.format: '" + cfg.getFormat()
                    + "' is not json or slack");
        }
        if (!blank(cfg.getUrl()) && !blank(cfg.getUrlRef())) {
            throw new IllegalArgumentException("opsflow.notifications.webhook: set url or url-ref, not both");
        }
        for (String ref : new String[] {cfg.getUrlRef(), cfg.getAuthorizationRef()}) {
            if (!blank(ref)) {
                SecretRef.parse(ref); // malformed references stop the start
            }
        }
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    @Override
    public String name() {
        return "webhook";
    }

    @Override
    public boolean configured() {
        return !blank(cfg.getUrl()) || !blank(cfg.getUrlRef());
    }

    @Override
    public boolean send(Notification n) throws Exception {
        String url = blank(cfg.getUrl()) ? SecretRef.parse(cfg.getUrlRef()).resolve() : cfg.getUrl();
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(timeout)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body(n)));
        if (!blank(cfg.getAuthorizationRef())) {
            b.header("Authorization", SecretRef.parse(cfg.getAuthorizationRef()).resolve());
        }
        HttpResponse<Void> r = client.get().send(b.build(), HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() / 100 != 2) {
            throw new IOException("webhook answered HTTP " + r.statusCode());
        }
        return true;
    }

    String body(Notification n) throws IOException {
        return JSON.writeValueAsString("slack".equals(cfg.getFormat()) ? slack(n) : json(n));
    }

    static ObjectNode json(Notification n) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("event", n.event().tag());
        o.put("runbook", n.runbook());
        o.put("runId", n.runId());
        o.put("environment", n.environment());
        o.put("subject", n.subject());
        o.put("text", String.join("\n", n.lines()));
        o.put("link", n.link());
        ObjectNode facts = o.putObject("facts");
        for (Map.Entry<String, String> f : n.facts().entrySet()) {
            facts.put(f.getKey(), f.getValue());
        }
        o.put("at", n.at().toString());
        return o;
    }

    static ObjectNode slack(Notification n) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("text", n.subject() + (n.link() == null ? "" : " " + n.link()));
        ArrayNode blocks = o.putArray("blocks");
        ObjectNode header = blocks.addObject().put("type", "header");
        header.putObject("text").put("type", "plain_text").put("text", cut(n.subject(), 150));
        StringBuilder facts = new StringBuilder();
        n.facts().forEach((k, v) -> facts.append('*').append(k).append("*: ").append(v).append('\n'));
        blocks.addObject().put("type", "section").putObject("text").put("type", "mrkdwn")
                .put("text", cut(facts.toString(), SLACK_SECTION_MAX));
        if (!n.lines().isEmpty()) {
            blocks.addObject().put("type", "section").putObject("text").put("type", "mrkdwn")
                    .put("text", "```" + cut(String.join("\n", n.lines()), SLACK_SECTION_MAX - 6) + "```");
        }
        if (n.link() != null) {
            blocks.addObject().put("type", "section").putObject("text").put("type", "mrkdwn")
                    .put("text", "<" + n.link() + "|" + (n.event().forApprovers() ? "Open in Tasklist" : "Open") + ">");
        }
        return o;
    }

    static String cut(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 1) + "…";
    }

    @Override
    public String redact(String message) {
        return Redaction.mask(message, () -> blank(cfg.getUrlRef()) ? null : SecretRef.parse(cfg.getUrlRef()).resolve(),
                () -> blank(cfg.getAuthorizationRef()) ? null : SecretRef.parse(cfg.getAuthorizationRef()).resolve());
    }
}
