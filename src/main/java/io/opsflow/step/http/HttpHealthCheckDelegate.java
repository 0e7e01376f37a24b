package io.opsflow.step.http;

import java.net.URI;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.stream.Collectors;

import org.camunda.bpm.engine.delegate.BpmnError;
import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.springframework.stereotype.Component;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;
import io.opsflow.step.exec.StepOutputs;

/**
 * {@code httpHealthCheck}: GETs every URL until healthy or the deadline passes.
 *
 * <p>Inputs: {@code healthUrls} (required; list of http(s) URLs, as a List, a JSON array or a comma-separated
 * string), {@code expectedStatus} (default 200), {@code healthDeadline} (ISO-8601, default PT30S),
 * {@code healthInterval} (ISO-8601, default PT2S), {@code healthBodyPattern} (optional regex, find semantics).
 *
 * <p>Outputs: {@code healthy} (boolean), {@code healthResults} (JSON array string: url, healthy, status, attempts,
 * lastError, bodyExcerpt), {@code <activityId>_log}, never process-level names ({@link StepOutputs}): local to the
 * task's scope or the execution running it; a diagram maps what it reads later with {@code camunda:outputParameter}
 * when the task is a scope. Not healthy by the deadline → {@code BpmnError("HEALTH_CHECK_FAILED")} after the outputs
 * are set on the execution the error path continues on. Bad inputs are exceptions (incident).
 */
@Component("httpHealthCheck")
public class HttpHealthCheckDelegate implements JavaDelegate {
    public static final String ERROR_HEALTH_CHECK_FAILED = "HEALTH_CHECK_FAILED";
    static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(30);
    static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(2);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpHealthCheck check;
    private final StepLogs stepLogs;

    public HttpHealthCheckDelegate(HttpHealthCheck check, StepLogs stepLogs) {
        this.check = check;
        this.stepLogs = stepLogs;
    }

    @Override
    public void execute(DelegateExecution execution) {
        List<URI> urls = urls(execution.getVariable("healthUrls"));
        int expected = integer(execution.getVariable("expectedStatus"), "expectedStatus", 200);
        Duration deadline = duration(execution.getVariable("healthDeadline"), "healthDeadline", DEFAULT_DEADLINE);
        Duration interval = duration(execution.getVariable("healthInterval"), "healthInterval", DEFAULT_INTERVAL);
        Pattern pattern = pattern(execution.getVariable("healthBodyPattern"));

        try (StepLog log = stepLogs.forExecution(execution)) {
            StepOutputs out = StepOutputs.of(execution);
            try {
                HealthReport report = check.check(urls, expected, pattern, interval, deadline, log);
                out = report.allHealthy() ? out : StepOutputs.forError(execution);
                out.set("healthy", report.allHealthy()).set("healthResults", toJson(report));
                if (!report.allHealthy()) {
                    String msg = "not healthy within " + deadline + ": " + report.unhealthy().stream()
                            .map(u -> u.url() + " (" + u.lastError() + ")").collect(Collectors.joining(", "));
                    log.line("step", msg);
                    throw new BpmnError(ERROR_HEALTH_CHECK_FAILED, msg);
                }
            } finally {
                out.set(execution.getCurrentActivityId() + "_log", log.tail());
            }
        }
    }

    static String toJson(HealthReport report) {
        ArrayNode arr = JSON.createArrayNode();
        for (UrlHealth u : report.results()) {
            ObjectNode o = arr.addObject();
            o.put("url", u.url().toString());
            o.put("healthy", u.healthy());
            o.put("status", u.status());
            o.put("attempts", u.attempts());
            o.put("lastError", u.lastError());
            o.put("bodyExcerpt", u.bodyExcerpt());
        }
        return arr.toString();
    }

    static List<URI> urls(Object v) {
        if (v == null || v.toString().isBlank()) {
            throw new IllegalArgumentException("process variable 'healthUrls' is required (list of http(s) URLs)");
        }
        List<String> raw = new ArrayList<>();
        if (v instanceof Collection<?> c) {
            c.forEach(o -> raw.add(String.valueOf(o)));
        } else {
            String s = v.toString().strip();
            if (s.startsWith("[")) {
                try {
                    JsonNode n = JSON.readTree(s);
                    n.forEach(e -> raw.add(e.asText()));
                } catch (JsonProcessingException e) {
                    throw new IllegalArgumentException("process variable 'healthUrls' is not a valid JSON array: "
                            + e.getOriginalMessage());
                }
            } else {
                for (String part : s.split("[,\\s]+")) {
                    if (!part.isBlank()) {
                        raw.add(part);
                    }
                }
            }
        }
        List<URI> out = new ArrayList<>();
        for (String r : raw) {
            try {
                out.add(new URI(r.strip()));
            } catch (Exception e) {
                throw new IllegalArgumentException("healthUrls contains an invalid URL: '" + r + "'");
            }
        }
        return out;
    }

    private static int integer(Object v, String name, int dflt) {
        if (v == null || v.toString().isBlank()) {
            return dflt;
        }
        if (v instanceof Number n) {
            return n.intValue();
        }
        try {
            return Integer.parseInt(v.toString().strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("process variable '" + name + "' must be an integer: '" + v + "'");
        }
    }

    private static Duration duration(Object v, String name, Duration dflt) {
        if (v == null || v.toString().isBlank()) {
            return dflt;
        }
        try {
            return Duration.parse(v.toString().strip());
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("process variable '" + name + "' must be an ISO-8601 duration such"
                    + " as PT30S: '" + v + "'");
        }
    }

    private static Pattern pattern(Object v) {
        if (v == null || v.toString().isEmpty()) {
            return null;
        }
        try {
            return Pattern.compile(v.toString());
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("process variable 'healthBodyPattern' is not a valid regular"
                    + " expression: " + e.getDescription());
        }
    }
}
