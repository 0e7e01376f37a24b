package io.opsflow.platform.notify;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code opsflow.notifications.*}: where run events go. Secrets are references ({@code env:NAME} or
 * {@code file:/path}, see {@code step.exec.SecretRef}) resolved when a notification is sent; they are never process
 * variables and never logged.
 */
@ConfigurationProperties(prefix = "opsflow.notifications")
public class NotificationsProperties {
    /** Off: nothing is composed or sent. */
    private boolean enabled = true;
    /** The address users reach opsflow at; links in notifications start with it. */
    private String publicBaseUrl = "http://127.0.0.1:8080";
    /** Delivery attempts per channel and notification (1 = no retry). */
    private int attempts = 3;
    /** Wait before the second attempt; doubled for each further one. */
    private Duration backoff = Duration.ofSeconds(5);
    /** Connect/read timeout of one attempt (SMTP and webhook). */
    private Duration timeout = Duration.ofSeconds(10);
    /** Notifications waiting for delivery at most; beyond that a notification is dropped, logged and counted failed. */
    private int queueCapacity = 1000;
    private Email email = new Email();
    private Webhook webhook = new Webhook();
    /**
     * Environment name ({@code default}: every environment not listed) → which events go to which channel. Event
     * names: {@code all}, {@code approvals}, {@code failures} or an event (approval-needed, approval-reminder,
     * approval-rejected, approval-expired, run-failed, incident, rolled-back, succeeded).
     */
    private Map<String, Route> routes = new LinkedHashMap<>();

    public boolean isEnabled() { return enabled; }
    public void setEnabled(boolean v) { this.enabled = v; }
    public String getPublicBaseUrl() { return publicBaseUrl; }
    public void setPublicBaseUrl(String v) { this.publicBaseUrl = v; }
    public int getAttempts() { return attempts; }
    public void setAttempts(int v) { this.attempts = v; }
    public Duration getBackoff() { return backoff; }
    public void setBackoff(Duration v) { this.backoff = v; }
    public Duration getTimeout() { return timeout; }
    public void setTimeout(Duration v) { this.timeout = v; }
    public int getQueueCapacity() { return queueCapacity; }
    public void setQueueCapacity(int v) { this.queueCapacity = v; }
    public Email getEmail() { return email; }
    public void setEmail(Email v) { this.email = v; }
    public Webhook getWebhook() { return webhook; }
    public void setWebhook(Webhook v) { this.webhook = v; }
    public Map<String, Route> getRoutes() { return routes; }
    public void setRoutes(Map<String, Route> v) { this.routes = v; }

    /** E-mail over SMTP; the channel is off while {@code host} is empty. */
    public static class Email {
        private String host;
        private int port = 25;
        private String username;
        /** The SMTP password as a reference: {@code env:OPSFLOW_SMTP_PASSWORD} or {@code file:/run/secrets/smtp}. */
        private String passwordRef;
        /** STARTTLS required (use it whenever the server is not on loopback). */
        private boolean starttls;
        private String from = "opsflow@localhost";
        /** Addresses that get every e-mail routed to this channel (an operations list), besides the run's people. */
        private List<String> to = new ArrayList<>();

        public String getHost() { return host; }
        public void setHost(String v) { this.host = v; }
        public int getPort() { return port; }
        public void setPort(int v) { this.port = v; }
        public String getUsername() { return username; }
        public void setUsername(String v) { this.username = v; }
        public String getPasswordRef() { return passwordRef; }
        public void setPasswordRef(String v) { this.passwordRef = v; }
        public boolean isStarttls() { return starttls; }
        public void setStarttls(boolean v) { this.starttls = v; }
        public String getFrom() { return from; }
        public void setFrom(String v) { this.from = v; }
        public List<String> getTo() { return to; }
        public void setTo(List<String> v) { this.to = v; }
    }

    /** A JSON POST; the channel is off while neither {@code url} nor {@code url-ref} is set. */
    public static class Webhook {
        /** A URL that holds no secret. */
        private String url;
        /** A URL that holds a token (Slack incoming webhooks), as a reference: {@code env:OPSFLOW_WEBHOOK_URL}. */
        private String urlRef;
        /** The whole {@code Authorization} header value as a reference, e.g. {@code file:/run/secrets/hook-auth}. */
        private String authorizationRef;
        /** {@code json} (opsflow's document) or {@code slack} ({@code {"text": …, "blocks": […]}}). */
        private String format = "json";

        public String getUrl() { return url; }
        public void setUrl(String v) { this.url = v; }
        public String getUrlRef() { return urlRef; }
        public void setUrlRef(String v) { this.urlRef = v; }
        public String getAuthorizationRef() { return authorizationRef; }
        public void setAuthorizationRef(String v) { this.authorizationRef = v; }
        public String getFormat() { return format; }
        public void setFormat(String v) { this.format = v; }
    }

    /** Which events of an environment go to each channel. */
    public static class Route {
        private List<String> email = new ArrayList<>();
        private List<String> webhook = new ArrayList<>();

        public List<String> getEmail() { return email; }
        public void setEmail(List<String> v) { this.email = v; }
        public List<String> getWebhook() { return webhook; }
        public void setWebhook(List<String> v) { this.webhook = v; }
    }
}
