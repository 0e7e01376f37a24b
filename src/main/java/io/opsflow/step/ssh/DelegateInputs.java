package io.opsflow.step.ssh;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import org.camunda.bpm.engine.delegate.DelegateExecution;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Reading delegate inputs from process variables, with errors that name the variable and the expected form.
 * Lists are accepted as a Java {@link Collection} or as a JSON array (a String or a JSON value such as Spin's).
 */
final class DelegateInputs {
    private static final ObjectMapper JSON = new ObjectMapper();

    private DelegateInputs() {
    }

    static String requiredString(DelegateExecution ex, String name) {
        String v = optionalString(ex, name);
        if (v == null) {
            throw new IllegalArgumentException("process variable '" + name + "' is required");
        }
        return v;
    }

    static String optionalString(DelegateExecution ex, String name) {
        Object v = ex.getVariable(name);
        if (v == null) {
            return null;
        }
        String s = v.toString().strip();
        return s.isEmpty() ? null : s;
    }

    static Integer optionalInt(DelegateExecution ex, String name) {
        Object v = ex.getVariable(name);
        if (v == null || v.toString().isBlank()) {
            return null;
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

    static Duration optionalDuration(DelegateExecution ex, String name, Duration dflt) {
        String s = optionalString(ex, name);
        if (s == null) {
            return dflt;
        }
        try {
            Duration d = Duration.parse(s);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("process variable '" + name + "' must be a positive duration: "
                        + s);
            }
            return d;
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("process variable '" + name + "' must be an ISO-8601 duration such"
                    + " as PT30S: '" + s + "'");
        }
    }

    /** A list of strings; null when the variable is absent. Never splits a plain string into words. */
    static List<String> optionalStringList(DelegateExecution ex, String name) {
        Object v = ex.getVariable(name);
        if (v == null) {
            return null;
        }
        List<String> out = new ArrayList<>();
        if (v instanceof Collection<?> c) {
            for (Object o : c) {
                if (o == null) {
                    throw new IllegalArgumentException("process variable '" + name + "' must not contain null");
                }
                out.add(o.toString());
            }
            return out;
        }
        String s = v.toString().strip();
        JsonNode node;
        try {
            node = JSON.readTree(s);
        } catch (JsonProcessingException e) {
            node = null;
        }
        if (node == null || !node.isArray()) {
            throw new IllegalArgumentException("process variable '" + name + "' must be a list of strings (a List"
                    + " or a JSON array such as [\"systemctl\",\"status\",\"nginx\"]), got " + v.getClass()
                    .getSimpleName());
        }
        for (JsonNode n : node) {
            if (!n.isValueNode() || n.isNull()) {
                throw new IllegalArgumentException("process variable '" + name + "' must be an array of strings");
            }
            out.add(n.asText());
        }
        return out;
    }

    static List<Integer> optionalIntList(DelegateExecution ex, String name) {
        List<String> l = optionalStringList(ex, name);
        if (l == null) {
            return null;
        }
        List<Integer> out = new ArrayList<>();
        for (String s : l) {
            try {
                out.add(Integer.parseInt(s.strip()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("process variable '" + name + "' must be a list of integers: "
                        + l);
            }
        }
        return out;
    }
}
