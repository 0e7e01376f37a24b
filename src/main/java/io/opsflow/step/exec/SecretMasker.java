package io.opsflow.step.exec;

import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/** Replaces every known secret value in a text with {@code ****}. Longest secrets first, so overlaps mask fully. */
public final class SecretMasker {
    public static final String MASK = "****";
    private final List<String> secrets;

    public SecretMasker(Collection<String> secrets) {
        this.secrets = secrets.stream().filter(s -> s != null && s.length() >= 3)
                .sorted(Comparator.comparingInt(String::length).reversed()).toList();
    }

    public String mask(String text) {
        if (text == null || secrets.isEmpty()) {
            return text;
        }
        String out = text;
        for (String s : secrets) {
            out = out.replace(s, MASK);
        }
        return out;
    }

    public List<String> mask(List<String> argv) {
        return argv.stream().map(this::mask).toList();
    }
}
