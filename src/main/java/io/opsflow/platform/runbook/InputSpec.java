package io.opsflow.platform.runbook;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * One declared input of a runbook: name, type, whether it is required, and the rule its value must follow. Strings
 * that reach commands are restricted to safe patterns: names ({@link #NAME}) and versions ({@link #VERSION}).
 */
public final class InputSpec {
    /** Names of applications, hosts, databases: lower-case, digits, dashes; never a leading dash. */
    public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
    /** Semver-like versions and image tags: no shell metacharacters, no leading dash, no path separators. */
    public static final Pattern VERSION = Pattern.compile("[0-9A-Za-z][0-9A-Za-z._+-]{0,63}");

    public enum Type { STRING, INTEGER, BOOLEAN }

    enum Kind { NAME, VERSION, ENVIRONMENT, TEXT, CHOICE, PATTERN, INTEGER, BOOLEAN }

    private final String name;
    private final Type type;
    private final Kind kind;
    private boolean required = true;
    private Object defaultValue;
    private Pattern pattern;
    private String patternDescription;
    private List<String> allowed = List.of();
    private Long min;
    private Long max;
    private int maxLength = 256;

    private InputSpec(String name, Type type, Kind kind) {
        this.name = name;
        this.type = type;
        this.kind = kind;
    }

    public static InputSpec name(String name) {
        InputSpec s = new InputSpec(name, Type.STRING, Kind.NAME);
        s.pattern = NAME;
        s.patternDescription = "a name: lower-case letters, digits and '-', starting with a letter or digit, at most 63";
        s.maxLength = 63;
        return s;
    }

    public static InputSpec version(String name) {
        InputSpec s = new InputSpec(name, Type.STRING, Kind.VERSION);
        s.pattern = VERSION;
        s.patternDescription = "a version such as 1.2.0 or 2.0.0-rc.1: letters, digits, '.', '_', '+', '-', not "
                + "starting with '-', at most 64";
        s.maxLength = 64;
        return s;
    }

    public static InputSpec environment(String name) {
        InputSpec s = new InputSpec(name, Type.STRING, Kind.ENVIRONMENT);
        s.pattern = NAME;
        s.patternDescription = "a configured environment";
        s.maxLength = 63;
        return s;
    }

    public static InputSpec text(String name) {
        InputSpec s = new InputSpec(name, Type.STRING, Kind.TEXT);
        s.maxLength = 500;
        return s;
    }

    public static InputSpec pattern(String name, String regex, String description) {
        InputSpec s = new InputSpec(name, Type.STRING, Kind.PATTERN);
        s.pattern = Pattern.compile(regex);
        s.patternDescription = description;
        return s;
    }

    public static InputSpec choice(String name, String... values) {
        InputSpec s = new InputSpec(name, Type.STRING, Kind.CHOICE);
        s.allowed = List.of(values);
        return s;
    }

    public static InputSpec integer(String name) {
        return new InputSpec(name, Type.INTEGER, Kind.INTEGER);
    }

    public static InputSpec bool(String name) {
        return new InputSpec(name, Type.BOOLEAN, Kind.BOOLEAN);
    }

    public InputSpec required() {
        this.required = true;
        return this;
    }

    public InputSpec optional() {
        this.required = false;
        return this;
    }

    /** A default makes the input optional; the default is set as a variable when the caller omits it. */
    public InputSpec defaultValue(Object v) {
        this.defaultValue = v;
        this.required = false;
        return this;
    }

    public InputSpec min(long v) {
        this.min = v;
        return this;
    }

    public InputSpec max(long v) {
        this.max = v;
        return this;
    }

    public InputSpec maxLength(int v) {
        this.maxLength = v;
        return this;
    }

    public String name() {
        return name;
    }

    public Type type() {
        return type;
    }

    public boolean isRequired() {
        return required;
    }

    public Object defaultValue() {
        return defaultValue;
    }

    public List<String> allowedValues() {
        return allowed;
    }

    /**
     * Checks one value. Returns the normalised value (integers as {@link Integer}) or adds a message
     * "{@code field: rule}" to {@code errors} and returns null.
     */
    Object check(Object value, java.util.Collection<String> environments, List<String> errors) {
        switch (type) {
            case INTEGER -> {
                if (!(value instanceof Integer || value instanceof Long || value instanceof Short)) {
                    errors.add(name + ": must be an integer (got " + describe(value) + ")");
                    return null;
                }
                long v = ((Number) value).longValue();
                if (min != null && v < min) {
                    errors.add(name + ": must be at least " + min + " (got " + v + ")");
                    return null;
                }
                if (max != null && v > max) {
                    errors.add(name + ": must be at most " + max + " (got " + v + ")");
                    return null;
                }
                if (v > Integer.MAX_VALUE || v < Integer.MIN_VALUE) {
                    errors.add(name + ": out of range");
                    return null;
                }
                return (int) v;
            }
            case BOOLEAN -> {
                if (!(value instanceof Boolean)) {
                    errors.add(name + ": must be true or false (got " + describe(value) + ")");
                    return null;
                }
                return value;
            }
            default -> {
                if (!(value instanceof String s)) {
                    errors.add(name + ": must be a string (got " + describe(value) + ")");
                    return null;
                }
                if (s.length() > maxLength) {
                    errors.add(name + ": must be at most " + maxLength + " characters (got " + s.length() + ")");
                    return null;
                }
                if (kind == Kind.TEXT) {
                    if (s.chars().anyMatch(c -> c < 0x20 && c != '\n' && c != '\t' && c != '\r')) {
                        errors.add(name + ": must not contain control characters");
                        return null;
                    }
                    if (required && s.isBlank()) {
                        errors.add(name + ": is required and must not be blank");
                        return null;
                    }
                    return s;
                }
                if (kind == Kind.CHOICE) {
                    if (!allowed.contains(s)) {
                        errors.add(name + ": must be one of " + allowed + " (got " + quote(s) + ")");
                        return null;
                    }
                    return s;
                }
                if (pattern != null && !pattern.matcher(s).matches()) {
                    errors.add(name + ": must be " + patternDescription + " (got " + quote(s) + ")");
                    return null;
                }
                if (kind == Kind.ENVIRONMENT && !environments.contains(s)) {
                    errors.add(name + ": unknown environment " + quote(s) + "; configured: " + environments);
                    return null;
                }
                return s;
            }
        }
    }

    private static String describe(Object v) {
        if (v == null) {
            return "null";
        }
        return v.getClass().getSimpleName();
    }

    /** Quotes a rejected value for an error message, shortened and with control characters made visible. */
    static String quote(String s) {
        String shown = s.length() > 40 ? s.substring(0, 40) + "…" : s;
        StringBuilder b = new StringBuilder("\"");
        for (char c : shown.toCharArray()) {
            if (c < 0x20) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }

    @Override
    public String toString() {
        List<String> parts = new ArrayList<>(Arrays.asList(name, type.name().toLowerCase(),
                required ? "required" : "optional"));
        if (!allowed.isEmpty()) {
            parts.add("one of " + allowed);
        }
        if (min != null) {
            parts.add("min " + min);
        }
        if (max != null) {
            parts.add("max " + max);
        }
        if (defaultValue != null) {
            parts.add("default " + defaultValue);
        }
        return String.join(", ", parts);
    }

    /** For documentation and the REST description of a runbook's inputs. */
    public Map<String, Object> describe() {
        var m = new java.util.LinkedHashMap<String, Object>();
        m.put("name", name);
        m.put("type", type.name().toLowerCase());
        m.put("required", required);
        if (defaultValue != null) {
            m.put("default", defaultValue);
        }
        if (!allowed.isEmpty()) {
            m.put("allowed", allowed);
        }
        if (pattern != null) {
            m.put("pattern", pattern.pattern());
        }
        if (min != null) {
            m.put("min", min);
        }
        if (max != null) {
            m.put("max", max);
        }
        return m;
    }
}
