package io.opsflow.provision;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The Terraform variables a root declares ({@code variable "name" {...}} blocks in its *.tf files), and the start
 * inputs mapped onto them: {@code hostCount} -> {@code host_count}, plus {@code tfVars}, a JSON object of further
 * declared variables with scalar values.
 */
public final class TerraformRootVariables {
    static final Pattern DECLARATION = Pattern.compile("(?m)^\\s*variable\\s+\"([A-Za-z_][A-Za-z0-9_-]*)\"");
    static final Pattern VAR_NAME = Pattern.compile("[a-z][a-z0-9_]{0,63}");
    private static final ObjectMapper JSON = new ObjectMapper();

    private TerraformRootVariables() {
    }

    /** A root that cannot be read for its variables; {@link #problem()} says what is wrong without the path. */
    public static final class UnusableRootException extends IllegalArgumentException {
        private final String problem;

        UnusableRootException(Path root, String problem, Throwable cause) {
            super("Terraform root " + root + " " + problem, cause);
            this.problem = problem;
        }

        /** "is not a directory", "has no .tf files", "cannot be read (AccessDeniedException)". */
        public String problem() {
            return problem;
        }
    }

    /** Names declared in the root's *.tf files; throws when the root is not a readable directory with .tf files. */
    public static Set<String> declared(Path root) {
        if (root == null || !Files.isDirectory(root)) {
            throw new UnusableRootException(root, "is not a directory", null);
        }
        Set<String> names = new TreeSet<>();
        boolean anyTf = false;
        try (Stream<Path> files = Files.list(root)) {
            for (Iterator<Path> it = files.filter(p -> p.toString().endsWith(".tf")).iterator(); it.hasNext(); ) {
                anyTf = true;
                Matcher m = DECLARATION.matcher(Files.readString(it.next()));
                while (m.find()) {
                    names.add(m.group(1));
                }
            }
        } catch (IOException | UncheckedIOException e) {
            throw new UnusableRootException(root, "cannot be read (" + e.getClass().getSimpleName() + ")", e);
        }
        if (!anyTf) {
            throw new UnusableRootException(root, "has no .tf files", null);
        }
        return names;
    }

    /**
     * The Terraform variables of a start: {@code hostCount} and {@code tfVars}, checked against {@code declared}.
     * Problems go to {@code errors} as "field: rule".
     */
    public static Map<String, Object> fromInputs(Object hostCount, Object tfVars, Set<String> declared,
                                                 java.util.List<String> errors) {
        Map<String, Object> out = new LinkedHashMap<>();
        if (hostCount != null) {
            if (declared.contains("host_count")) {
                out.put("host_count", hostCount);
            } else {
                errors.add("hostCount: the environment's Terraform root declares no variable host_count");
            }
        }
        if (tfVars instanceof String s && !s.isBlank()) {
            JsonNode doc;
            try {
                doc = JSON.readTree(s);
            } catch (JsonProcessingException e) {
                errors.add("tfVars: must be a JSON object such as {\"server_type\":\"cx22\"}");
                return out;
            }
            if (doc == null || !doc.isObject()) {
                errors.add("tfVars: must be a JSON object such as {\"server_type\":\"cx22\"}");
                return out;
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = doc.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> f = it.next();
                String name = f.getKey();
                JsonNode v = f.getValue();
                if (!VAR_NAME.matcher(name).matches()) {
                    errors.add("tfVars: variable names must match " + VAR_NAME.pattern());
                } else if (!declared.contains(name)) {
                    errors.add("tfVars: the environment's Terraform root declares no variable " + name
                            + " (declared: " + declared + ")");
                } else if (out.containsKey(name)) {
                    errors.add("tfVars: " + name + " is already set by hostCount");
                } else if (v.isTextual() && v.asText().length() <= 256
                        && v.asText().chars().noneMatch(c -> c < 0x20)) {
                    out.put(name, v.asText());
                } else if (v.isIntegralNumber() && v.canConvertToLong()) {
                    out.put(name, v.asLong());
                } else if (v.isNumber()) {
                    out.put(name, v.asDouble());
                } else if (v.isBoolean()) {
                    out.put(name, v.asBoolean());
                } else {
                    errors.add("tfVars: " + name + " must be a string (at most 256 characters, no control"
                            + " characters), a number or a boolean");
                }
            }
        }
        return out;
    }
}
