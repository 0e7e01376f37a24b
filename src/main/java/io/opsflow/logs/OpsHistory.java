package io.opsflow.logs;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.camunda.bpm.engine.HistoryService;
import org.camunda.bpm.engine.history.HistoricActivityInstance;
import org.camunda.bpm.engine.history.HistoricProcessInstance;
import org.camunda.bpm.engine.history.HistoricVariableInstance;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * opsflow's own changes to an environment in a window, from the engine's history: the runs of release-version,
 * deploy-application, restart-platform and scale-service on that environment that overlap the window, and in each
 * the activities that change hosts, as {@link Moment}s (the activity's start). Release activations are attributed to
 * the hosts of their batch (from the run's {@code releasePlan}); everything else to the whole environment.
 * Read-only; at most {@value #MAX_RUNS} runs.
 */
final class OpsHistory {
    static final int MAX_RUNS = 50;
    /** process key → (short name, activity id → what it does, {@code %s} = the run's version). */
    private static final Map<String, Map<String, String>> CHANGES = new LinkedHashMap<>();
    private static final Map<String, String> NAMES = Map.of("release-version", "release", "deploy-application",
            "deploy", "restart-platform", "restart", "scale-service", "scale");

    static {
        CHANGES.put("release-version", Map.of(
                "Task_ActivateBatch", "switched it to %s",
                "Task_DeployIdle", "deployed %s to the idle colour",
                "Task_SwitchTraffic", "switched traffic to %s",
                "Task_RestoreBatch", "rolled it back from %s",
                "Task_RestoreIdle", "restored the idle colour",
                "Task_SwitchBack", "switched traffic back"));
        CHANGES.put("deploy-application", Map.of(
                "Task_InstallApp", "installed %s",
                "Task_StartInstances", "started %s",
                "Task_StopInstances", "stopped instances",
                "Task_RegisterBackends", "put %s behind the load balancer"));
        CHANGES.put("restart-platform", Map.of(
                "Task_RestartHost", "restarted services",
                "Task_RestartAll", "restarted all hosts at once"));
        CHANGES.put("scale-service", Map.of(
                "Task_AddInstances", "added instances",
                "Task_RemoveInstances", "removed instances",
                "Task_UndoAdd", "removed an added instance",
                "Task_UndoRemove", "started a removed instance again"));
    }

    /** Activities that undo an earlier change (compensation, switch back): not a cause of errors after them. */
    private static final java.util.Set<String> UNDO = java.util.Set.of("Task_RestoreBatch", "Task_RestoreIdle",
            "Task_SwitchBack", "Task_StopInstances", "Task_UndoAdd", "Task_UndoRemove");

    private OpsHistory() {
    }

    static List<Moment> moments(HistoryService history, String environment, Instant from, Instant to) {
        List<HistoricProcessInstance> runs = history.createHistoricProcessInstanceQuery()
                .processDefinitionKeyIn(CHANGES.keySet().toArray(String[]::new))
                .variableValueEquals("environment", environment)
                .startedBefore(Date.from(to))
                .orderByProcessInstanceStartTime().desc()
                .listPage(0, MAX_RUNS);
        List<Moment> out = new ArrayList<>();
        for (HistoricProcessInstance run : runs) {
            if (run.getEndTime() != null && run.getEndTime().toInstant().isBefore(from)) {
                continue;
            }
            Map<String, String> changes = CHANGES.get(run.getProcessDefinitionKey());
            String version = text(history, run.getId(), "version");
            List<List<String>> batches = batches(history, run.getId());
            int activation = 0;
            List<HistoricActivityInstance> acts = history.createHistoricActivityInstanceQuery()
                    .processInstanceId(run.getId()).orderByHistoricActivityInstanceStartTime().asc().list();
            for (HistoricActivityInstance a : acts) {
                String what = changes.get(a.getActivityId());
                if (what == null) {
                    continue;
                }
                List<String> hosts = List.of();
                if ("Task_ActivateBatch".equals(a.getActivityId())) {
                    hosts = activation < batches.size() ? batches.get(activation) : List.of();
                    activation++;
                }
                out.add(new Moment(a.getStartTime().toInstant(), run.getId(),
                        NAMES.getOrDefault(run.getProcessDefinitionKey(), run.getProcessDefinitionKey()),
                        what.contains("%s") ? String.format(what, version == null ? "a new version" : version) : what,
                        hosts, UNDO.contains(a.getActivityId())));
            }
        }
        out.sort(Comparator.comparing(Moment::time));
        return out;
    }

    private static String text(HistoryService history, String runId, String name) {
        HistoricVariableInstance v = history.createHistoricVariableInstanceQuery().processInstanceId(runId)
                .variableName(name).list().stream().findFirst().orElse(null);
        return v == null || v.getValue() == null ? null : String.valueOf(v.getValue());
    }

    /** The hosts of each batch of a release, from its releasePlan ({@code entries[].host}, {@code .batch}). */
    private static List<List<String>> batches(HistoryService history, String runId) {
        String plan = text(history, runId, "releasePlan");
        List<List<String>> out = new ArrayList<>();
        if (plan == null) {
            return out;
        }
        try {
            JsonNode entries = ReportRenderer.JSON.readTree(plan).path("entries");
            for (JsonNode e : entries) {
                int b = e.path("batch").asInt(0);
                while (out.size() <= b) {
                    out.add(new ArrayList<>());
                }
                String host = e.path("host").asText(null);
                if (host != null && !out.get(b).contains(host)) {
                    out.get(b).add(host);
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            return new ArrayList<>();
        }
        return out;
    }
}
