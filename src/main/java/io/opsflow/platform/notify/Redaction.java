package io.opsflow.platform.notify;

import java.util.function.Supplier;

/** Masks secret values in text meant for logs. */
final class Redaction {
    private Redaction() {
    }

    /** {@code text} with each non-blank value of {@code secrets} (resolved now; unresolvable ones skipped) masked. */
    @SafeVarargs
    static String mask(String text, Supplier<String>... secrets) {
        if (text == null) {
            return null;
        }
        String out = text;
        for (Supplier<String> s : secrets) {
            String v;
            try {
                v = s.get();
            } catch (RuntimeException e) {
                continue;
            }
            if (v != null && v.length() >= 4) {
                out = out.replace(v, "****");
            }
        }
        return out;
    }
}
