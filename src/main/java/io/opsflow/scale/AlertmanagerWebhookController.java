package io.opsflow.scale;

import java.util.List;
import java.util.Map;

import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * {@code POST /api/alerts/alertmanager}: Alertmanager webhook receiver (configure it as a {@code webhook_configs}
 * URL with basic auth of an opsflow user in group operators). Answers 202 with one result per alert
 * ({@code started | cooldown | busy | invalid | ignored | duplicate}); 400 when the body is not a notification.
 */
@RestController
public class AlertmanagerWebhookController {
    private final AlertmanagerWebhook webhook;

    public AlertmanagerWebhookController(AlertmanagerWebhook webhook) {
        this.webhook = webhook;
    }

    @PostMapping(path = "/api/alerts/alertmanager", consumes = MediaType.APPLICATION_JSON_VALUE,
            produces = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<Map<String, Object>> receive(@RequestBody JsonNode payload) {
        List<Map<String, Object>> results = webhook.handle(payload).stream().map(AlertmanagerWebhook.Result::toMap)
                .toList();
        return ResponseEntity.status(HttpStatus.ACCEPTED).body(Map.of("results", results));
    }

    @ExceptionHandler(AlertmanagerWebhook.InvalidPayloadException.class)
    public ResponseEntity<Map<String, Object>> invalid(AlertmanagerWebhook.InvalidPayloadException e) {
        return ResponseEntity.badRequest().body(Map.of("error", e.getMessage()));
    }
}
