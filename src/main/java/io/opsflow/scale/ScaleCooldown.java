package io.opsflow.scale;

import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.camunda.bpm.engine.HistoryService;
import org.camunda.bpm.engine.history.HistoricProcessInstance;
import org.camunda.bpm.engine.history.HistoricVariableInstance;

/**
 * The anti-flapping rule: no second scale of the same environment/application within the cooldown after a run that
 * changed instances. "Changed instances" = the run set {@code scaledAt} (the add/remove steps do, on their first
 * change); the cooldown counts from the end of that run. Read from the engine's history (history level audit or
 * higher), so it needs no table of its own and survives restarts and cluster nodes.
 */
public final class ScaleCooldown {
    public static final String SCALED_AT = "scaledAt";

    private ScaleCooldown() {
    }

    public record Status(boolean active, Instant lastScaleEnded, Instant until, String lastRunId) {
        public String reason(String environment, String application, Duration cooldown) {
            if (!active) {
                return null;
            }
            return "cooldown: " + environment + "/" + application + " was scaled by run " + lastRunId
                    + " (ended " + lastScaleEnded + "); no further scale before " + until
                    + " (opsflow.scale.cooldown=" + cooldown + ")";
        }
    }

    public static Status check(HistoryService history, String environment, String application, Duration cooldown,
                               Instant now) {
        Date since = Date.from(now.minus(cooldown));
        List<HistoricProcessInstance> runs = history.createHistoricProcessInstanceQuery()
                .processDefinitionKey(ScaleServiceRunbook.PROCESS_KEY)
                .finishedAfter(since)
                .variableValueEquals("environment", environment)
                .variableValueEquals("application", application)
                .list();
        if (runs.isEmpty()) {
            return new Status(false, null, null, null);
        }
        Map<String, HistoricProcessInstance> byId = runs.stream()
                .collect(Collectors.toMap(HistoricProcessInstance::getId, Function.identity()));
        List<HistoricVariableInstance> scaled = history.createHistoricVariableInstanceQuery()
                .processInstanceIdIn(byId.keySet().toArray(String[]::new))
                .variableName(SCALED_AT)
                .list();
        Optional<HistoricProcessInstance> last = scaled.stream()
                .map(v -> byId.get(v.getProcessInstanceId()))
                .filter(p -> p != null && p.getEndTime() != null)
                .max(Comparator.comparing(HistoricProcessInstance::getEndTime));
        if (last.isEmpty()) {
            return new Status(false, null, null, null);
        }
        Instant ended = last.get().getEndTime().toInstant();
        Instant until = ended.plus(cooldown);
        return new Status(now.isBefore(until), ended, until, last.get().getId());
    }
}
