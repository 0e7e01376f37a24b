package io.opsflow.platform.tools;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.stereotype.Component;

import io.opsflow.platform.runbook.RunbookDefinition;

/**
 * Actuator health component {@code tools} (named after the bean, toolsHealthIndicator): every tool a runbook runs on this host, where it is and its version, or
 * that it is missing and which runbooks it stops (with the install line). A missing tool does not take opsflow down:
 * the component stays UP and lists it; the runbooks that need it are refused at start (409).
 */
@Component
public class ToolsHealthIndicator implements HealthIndicator {
    private final Tools tools;
    private final List<RunbookDefinition> runbooks;

    public ToolsHealthIndicator(Tools tools, List<RunbookDefinition> runbooks) {
        this.tools = tools;
        this.runbooks = runbooks;
    }

    @Override
    public Health health() {
        Map<String, Map<String, Object>> byTool = new LinkedHashMap<>();
        for (RunbookDefinition r : runbooks) {
            for (Tool t : r.tools()) {
                Map<String, Object> d = byTool.computeIfAbsent(t.name(), n -> {
                    Map<String, Object> m = new LinkedHashMap<>();
                    tools.locate(t).ifPresentOrElse(p -> {
                        m.put("present", true);
                        m.put("path", p.toString());
                        m.put("version", tools.version(p));
                    }, () -> {
                        m.put("present", false);
                        m.put("install", t.install());
                    });
                    m.put("runbooks", new java.util.ArrayList<String>());
                    return m;
                });
                @SuppressWarnings("unchecked")
                List<String> users = (List<String>) d.get("runbooks");
                users.add(r.processKey());
            }
        }
        return Health.up().withDetails(byTool).build();
    }
}
