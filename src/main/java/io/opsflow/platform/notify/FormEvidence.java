package io.opsflow.platform.notify;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.camunda.bpm.engine.impl.context.Context;
import org.camunda.bpm.engine.impl.interceptor.CommandContext;
import org.camunda.bpm.engine.impl.persistence.entity.ResourceEntity;
import org.camunda.bpm.engine.impl.persistence.entity.TaskEntity;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The evidence an approval form shows, as "Label: value" lines: the fields of the task's Camunda Form
 * ({@code camunda:formRef}, read from the run's deployment) with the run's values, in the form's order, without the
 * decision fields ({@code approved}, {@code comment}). Each value is cut at {@value RunNotifications#MAX_FIELD}
 * characters.
 */
final class FormEvidence {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> DECISION = Set.of("approved", "comment");
    private static final Set<String> SHOWN = Set.of("textfield", "textarea", "number", "select", "radio",
            "datetime", "checkbox");

    /** deployment id + form id → [key, label] pairs. */
    private final Map<String, List<String[]>> fields = new ConcurrentHashMap<>();

    List<String> lines(TaskEntity task) {
        var formKey = task.getTaskDefinition() == null ? null : task.getTaskDefinition().getCamundaFormDefinitionKey();
        if (formKey == null) {
            return List.of("(no form)");
        }
        String formId = formKey.getExpressionText();
        String deploymentId = task.getProcessInstance().getProcessDefinition().getDeploymentId();
        List<String[]> f = fields.computeIfAbsent(deploymentId + "/" + formId, k -> read(deploymentId, formId));
        List<String> out = new ArrayList<>();
        for (String[] kv : f) {
            Object v = task.getVariable(kv[0]);
            if (v != null) {
                String s = v.toString();
                out.add(kv[1] + ":" + (s.contains("\n") ? "\n" : " ") + RunNotifications.cut(s.strip()));
            }
        }
        return out;
    }

    private static List<String[]> read(String deploymentId, String formId) {
        CommandContext ctx = Context.getCommandContext();
        for (ResourceEntity r : ctx.getResourceManager().findResourcesByDeploymentId(deploymentId)) {
            if (!r.getName().endsWith(".form")) {
                continue;
            }
            try {
                JsonNode form = JSON.readTree(new String(r.getBytes(), StandardCharsets.UTF_8));
                if (formId.equals(form.path("id").asText())) {
                    return fields(form);
                }
            } catch (IOException e) {
                // not a form we can read: try the next resource
            }
        }
        return List.of();
    }

    /** The [key, label] pairs of a form's shown fields, in the form's order, without the decision fields. */
    static List<String[]> fields(JsonNode form) {
        List<String[]> out = new ArrayList<>();
        collect(form, out);
        return out;
    }

    private static void collect(JsonNode node, List<String[]> out) {
        for (JsonNode c : node.path("components")) {
            String key = c.path("key").asText(null);
            if (key != null && !DECISION.contains(key) && SHOWN.contains(c.path("type").asText())) {
                out.add(new String[] {key, c.path("label").asText(key)});
            }
            collect(c, out);
        }
    }
}
