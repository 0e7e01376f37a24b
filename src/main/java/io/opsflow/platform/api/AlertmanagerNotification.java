package io.opsflow.platform.api;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A Prometheus Alertmanager webhook notification (JSON version 4), read once for every runbook an alert may start:
 * its alerts with status, labels, annotations and start time. A body that is not such a notification is an
 * {@link IllegalArgumentException} (HTTP 400 through the API's exception handler).
 */
public record AlertmanagerNotification(List<Alert> alerts) {

    public AlertmanagerNotification {
        alerts = List.copyOf(alerts);
    }

    /** One alert; {@link #label} and {@link #annotation} answer null for absent or empty values. */
    public record Alert(String status, JsonNode labels, JsonNode annotations, Instant startsAt) {
        public boolean firing() {
            return "firing".equals(status);
        }

        public String label(String name) {
            return text(labels, name);
        }

        public String annotation(String name) {
            return text(annotations, name);
        }

        /** A label, else the annotation of that name. */
        public String labelOrAnnotation(String name) {
            String l = label(name);
            return l != null ? l : annotation(name);
        }
    }

    public static AlertmanagerNotification parse(JsonNode payload) {
        if (payload == null || !payload.isObject()) {
            throw new IllegalArgumentException("expected an Alertmanager webhook JSON object");
        }
        JsonNode version = payload.get("version");
        if (version != null && !"4".equals(version.asText())) {
            throw new IllegalArgumentException("unsupported Alertmanager webhook version " + version.asText()
                    + " (supported: 4)");
        }
        JsonNode alerts = payload.get("alerts");
        if (alerts == null || !alerts.isArray()) {
            throw new IllegalArgumentException("'alerts' must be an array");
        }
        List<Alert> out = new ArrayList<>();
        for (JsonNode a : alerts) {
            Instant startsAt = null;
            String s = text(a, "startsAt");
            if (s != null) {
                try {
                    startsAt = Instant.parse(s);
                } catch (DateTimeParseException e) {
                    startsAt = null; // Alertmanager sends RFC 3339; anything else: unknown start
                }
            }
            out.add(new Alert(a.hasNonNull("status") ? a.get("status").asText() : "firing", a.path("labels"),
                    a.path("annotations"), startsAt));
        }
        return new AlertmanagerNotification(out);
    }

    private static String text(JsonNode node, String name) {
        JsonNode v = node == null ? null : node.get(name);
        return v == null || v.isNull() || !v.isValueNode() || v.asText().isEmpty() ? null : v.asText();
    }
}
