package io.opsflow.step.ansible;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Collection;
import java.util.Map;

/**
 * Writes extra variables for {@code ansible-playbook -e @file}.
 *
 * <p>The file is YAML, not JSON, for one reason: Ansible templates variable values when a play uses them, so a
 * string such as <code>{{ lookup('pipe','id') }}</code> in a JSON extra-vars file would run a command on the
 * controller. Every string (and every mapping key below the top level) is therefore written as a double-quoted
 * scalar tagged {@code !unsafe}: Ansible then uses it verbatim, never as a template. The output is pure ASCII (every
 * other character escaped), one top-level variable per line; numbers, booleans and null stay typed. Supported
 * values: String, Number, Boolean, null, Map with String keys, Collection/array.
 */
public final class ExtraVarsFile {
    private static final int MAX_DEPTH = 32;

    private ExtraVarsFile() {
    }

    /** Writes the file with owner-only permissions where the file system supports them. */
    public static void write(Path file, Map<String, Object> vars) throws IOException {
        byte[] bytes = render(vars).getBytes(StandardCharsets.US_ASCII);
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(file);
        }
        Files.write(file, bytes);
    }

    public static String render(Map<String, Object> vars) {
        if (vars.isEmpty()) {
            return "{}\n";
        }
        StringBuilder b = new StringBuilder("# opsflow extra vars: every string is !unsafe (never templated)\n");
        for (Map.Entry<String, Object> e : vars.entrySet()) {
            AnsibleRun.validateVarName(e.getKey());
            b.append(e.getKey()).append(": ");
            value(b, e.getValue(), 0, e.getKey());
            b.append('\n');
        }
        return b.toString();
    }

    private static void value(StringBuilder b, Object v, int depth, String path) {
        if (depth > MAX_DEPTH) {
            throw new IllegalArgumentException("extraVars: nested deeper than " + MAX_DEPTH + " at " + path);
        }
        if (v == null) {
            b.append("null");
        } else if (v instanceof CharSequence s) {
            unsafeString(b, s.toString(), path);
        } else if (v instanceof Character c) {
            unsafeString(b, c.toString(), path);
        } else if (v instanceof Boolean bool) {
            b.append(bool ? "true" : "false");
        } else if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte
                || v instanceof BigInteger) {
            b.append(v);
        } else if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                throw new IllegalArgumentException("extraVars: " + path + " is not a finite number");
            }
            b.append(new BigDecimal(v.toString()).toPlainString());
        } else if (v instanceof BigDecimal bd) {
            b.append(bd.toPlainString());
        } else if (v instanceof Map<?, ?> m) {
            b.append('{');
            String sep = "";
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!(e.getKey() instanceof String key)) {
                    throw new IllegalArgumentException("extraVars: " + path + " has a non-string key");
                }
                b.append(sep);
                unsafeString(b, key, path);
                b.append(": ");
                value(b, e.getValue(), depth + 1, path + "." + key);
                sep = ", ";
            }
            b.append('}');
        } else if (v instanceof Collection<?> c) {
            sequence(b, c.toArray(), depth, path);
        } else if (v instanceof Object[] arr) {
            sequence(b, arr, depth, path);
        } else {
            throw new IllegalArgumentException("extraVars: " + path + " has an unsupported type "
                    + v.getClass().getName() + " (use strings, numbers, booleans, maps and lists)");
        }
    }

    private static void sequence(StringBuilder b, Object[] items, int depth, String path) {
        b.append('[');
        for (int i = 0; i < items.length; i++) {
            if (i > 0) {
                b.append(", ");
            }
            value(b, items[i], depth + 1, path + "[" + i + "]");
        }
        b.append(']');
    }

    /** A YAML double-quoted scalar tagged !unsafe; printable ASCII as is, everything else escaped. */
    static void unsafeString(StringBuilder b, String s, String path) {
        b.append("!unsafe \"");
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            if (Character.isSurrogate(s.charAt(i)) && Character.charCount(cp) == 1) {
                throw new IllegalArgumentException("extraVars: " + path + " contains an unpaired surrogate");
            }
            i += Character.charCount(cp);
            switch (cp) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                case '\r' -> b.append("\\r");
                default -> {
                    if (cp >= 0x20 && cp < 0x7f) {
                        b.append((char) cp);
                    } else if (cp <= 0xffff) {
                        b.append(String.format("\\u%04x", cp));
                    } else {
                        b.append(String.format("\\U%08x", cp));
                    }
                }
            }
        }
        b.append('"');
    }
}
