package io.opsflow.platform.runbook;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.opsflow.environments.Environments;

/** Checks a start's variables against a {@link RunbookDefinition}; returns the values to set (normalised, defaults). */
public final class RunbookInputValidator {
    private RunbookInputValidator() {
    }

    public static Map<String, Object> validate(RunbookDefinition def, Map<String, Object> vars,
                                               Environments environments) {
        return validate(def, vars, environments, null);
    }

    /**
     * As {@link #validate(RunbookDefinition, Map, Environments)}, then the rules that depend on the start activity
     * ({@link RunbookDefinition#atStart}) when it is known.
     */
    public static Map<String, Object> validate(RunbookDefinition def, Map<String, Object> vars,
                                               Environments environments, String startActivityId) {
        List<String> errors = new ArrayList<>();
        Map<String, Object> out = new LinkedHashMap<>();
        for (InputSpec spec : def.declaredInputs()) {
            Object v = vars.get(spec.name());
            boolean missing = v == null || (v instanceof String s && s.isEmpty());
            if (missing) {
                if (spec.defaultValue() != null) {
                    out.put(spec.name(), spec.defaultValue());
                } else if (spec.isRequired()) {
                    errors.add(spec.name() + ": is required");
                }
                continue;
            }
            Object ok = spec.check(v, environments.names(), errors);
            if (ok != null) {
                out.put(spec.name(), ok);
            }
        }
        if (errors.isEmpty()) {
            Map<String, Object> merged = new LinkedHashMap<>(vars);
            merged.putAll(out);
            def.validate(merged, environments, errors);
            if (def.waitsForMaintenanceWindow()) {
                MaintenanceInputs.validateRunAt(merged, environments, RunVariables.now(), errors);
            }
            if (errors.isEmpty() && startActivityId != null) {
                def.atStart(startActivityId, vars, out, errors);
            }
        }
        if (!errors.isEmpty()) {
            throw new RunbookInputException(def.processKey(), errors);
        }
        return out;
    }
}
