package io.opsflow.step.exec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * A reference to a secret, resolved only when a step executes: {@code env:NAME} (an environment variable) or
 * {@code file:/path} (a file's content, trailing newline stripped). The reference, never the value, is what
 * configuration and process variables hold.
 */
public final class SecretRef {
    private final String kind;
    private final String target;
    private final Function<String, String> envLookup;

    private SecretRef(String kind, String target, Function<String, String> envLookup) {
        this.kind = kind;
        this.target = target;
        this.envLookup = envLookup;
    }

    public static SecretRef parse(String ref) {
        return parse(ref, System::getenv);
    }

    static SecretRef parse(String ref, Function<String, String> envLookup) {
        if (ref == null || ref.isBlank()) {
            throw new IllegalArgumentException("secret reference is empty; expected env:NAME or file:/path");
        }
        int colon = ref.indexOf(':');
        String kind = colon < 0 ? "" : ref.substring(0, colon);
        String target = colon < 0 ? "" : ref.substring(colon + 1);
        switch (kind) {
            case "env" -> {
                if (!target.matches("[A-Za-z_][A-Za-z0-9_]{0,127}")) {
                    throw new IllegalArgumentException("invalid environment variable name in secret reference: "
                            + target);
                }
            }
            case "file" -> {
                if (target.isBlank()) {
                    throw new IllegalArgumentException("secret reference file: needs a path");
                }
            }
            default -> throw new IllegalArgumentException("unsupported secret reference '" + kind
                    + ":…'; expected env:NAME or file:/path");
        }
        return new SecretRef(kind, target, envLookup);
    }

    /** Resolves the value now. Throws {@link IllegalStateException} naming the reference (never the value). */
    public String resolve() {
        if ("env".equals(kind)) {
            String v = envLookup.apply(target);
            if (v == null || v.isEmpty()) {
                throw new IllegalStateException("secret " + this + " is not set (environment variable " + target
                        + " is missing or empty)");
            }
            return v;
        }
        Path p = Path.of(target);
        try {
            String v = Files.readString(p, StandardCharsets.UTF_8);
            v = v.endsWith("\n") ? v.substring(0, v.length() - 1) : v;
            if (v.isEmpty()) {
                throw new IllegalStateException("secret " + this + " is empty");
            }
            return v;
        } catch (IOException e) {
            throw new IllegalStateException("secret " + this + " cannot be read: " + e.getClass().getSimpleName(), e);
        }
    }

    /** For references that point at a file and are passed by path (keys, PGPASSFILE). */
    public Path path() {
        if ("file".equals(kind)) {
            return Path.of(target);
        }
        return Path.of(resolve());
    }

    @Override
    public String toString() {
        return kind + ":" + target;
    }
}
