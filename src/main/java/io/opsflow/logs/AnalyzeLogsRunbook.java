package io.opsflow.logs;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.springframework.stereotype.Component;

import io.opsflow.environments.Environment;
import io.opsflow.environments.Environments;
import io.opsflow.platform.runbook.InputSpec;
import io.opsflow.platform.runbook.Runbook;

/**
 * Inputs of analyze-logs. Read-only: no lock, no approval (the diagram has no approval task). The window is resolved
 * when the run starts ({@code windowFrom}, {@code windowTo}), and so is the source ({@code logSource}: {@code loki}
 * where {@code opsflow.logs.loki.<environment>} is set, else {@code ssh}).
 */
@Component
public class AnalyzeLogsRunbook extends Runbook {
    public static final String PROCESS_KEY = "analyze-logs";
    static final String INSTANT = "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\\.[0-9]{1,9})?)?"
            + "(?:Z|[+-][0-9]{2}:[0-9]{2})";
    static final String DURATION = "P(?:[0-9]{1,3}D)?(?:T(?:[0-9]{1,5}H)?(?:[0-9]{1,5}M)?(?:[0-9]{1,6}S)?)?";
    static final String HOST_LIST = "[a-z0-9][a-z0-9-]{0,62}(?: *, *[a-z0-9][a-z0-9-]{0,62}){0,99}";

    private final LogsProperties props;

    public AnalyzeLogsRunbook(LogsProperties props) {
        super(PROCESS_KEY);
        this.props = props;
    }

    @Override
    public List<InputSpec> inputs() {
        return List.of(
                InputSpec.environment("environment"),
                InputSpec.name("application").optional(),
                InputSpec.pattern("hosts", HOST_LIST, "host names separated by commas").maxLength(6500).optional(),
                InputSpec.pattern("window", DURATION, "an ISO-8601 duration such as PT30M or PT2H").maxLength(40)
                        .optional(),
                InputSpec.pattern("from", INSTANT, "an ISO-8601 time with offset, e.g. 2026-12-06T21:00:00Z")
                        .maxLength(40).optional(),
                InputSpec.pattern("to", INSTANT, "an ISO-8601 time with offset, e.g. 2026-12-06T21:30:00Z")
                        .maxLength(40).optional(),
                InputSpec.text("patterns").maxLength(LogPatterns.MAX_PATTERNS * (LogPatterns.MAX_LENGTH + 1))
                        .optional(),
                InputSpec.text("reason").maxLength(500).optional());
    }

    /** Read-only: never asks for an approval (and the diagram has no Task_Approve). */
    @Override
    public boolean requiresApproval(Map<String, Object> vars, Environment environment) {
        return false;
    }

    @Override
    public void validate(Map<String, Object> vars, Environments environments, List<String> errors) {
        LogWindow.resolve(vars, Instant.now(), props.getMaxWindow(), errors);
        LogPatterns.parse((String) vars.get("patterns"), errors);
        Environment env = environments.get((String) vars.get("environment"));
        List<String> unknown = new ArrayList<>();
        for (String h : hosts(vars)) {
            if (env.host(h).isEmpty()) {
                unknown.add(h);
            }
        }
        if (!unknown.isEmpty()) {
            errors.add("hosts: " + env.name() + " has no host " + String.join(", ", unknown) + " (hosts: "
                    + env.hostNames() + ")");
        }
        if (env.hosts().isEmpty() && props.lokiUrl(env.name()) == null) {
            errors.add("environment: " + env.name() + " has no hosts to read logs from");
        }
    }

    /** Resolves the window and the source once, at the start. */
    @Override
    public void atStart(String startActivityId, Map<String, Object> passed, Map<String, Object> values,
                        List<String> errors) {
        LogWindow w = LogWindow.resolve(values, Instant.now(), props.getMaxWindow(), errors);
        if (w != null) {
            values.put(LogsVariables.WINDOW_FROM, w.from().toString());
            values.put(LogsVariables.WINDOW_TO, w.to().toString());
        }
        values.put(LogsVariables.SOURCE, props.lokiUrl((String) values.get("environment")) != null ? "loki" : "ssh");
    }

    static List<String> hosts(Map<String, Object> vars) {
        Object v = vars.get("hosts");
        if (!(v instanceof String s) || s.isBlank()) {
            return List.of();
        }
        return java.util.Arrays.stream(s.split(",")).map(String::strip).filter(x -> !x.isEmpty()).distinct().toList();
    }
}
