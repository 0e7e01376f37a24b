package io.opsflow.step.exec;

import java.util.LinkedHashSet;
import java.util.Set;

/** What every stored step log shares: secrets masked in each line, the tail kept for a process variable. */
abstract class MaskedStepLog implements StepLog {
    private final TailBuffer tail = new TailBuffer(StepLogs.TAIL_CHARS);
    private final Set<String> secrets = new LinkedHashSet<>();
    private SecretMasker masker = new SecretMasker(Set.of());

    /** The line as stored, {@code [stream] text} with secrets masked; added to the tail. */
    protected synchronized String entry(String stream, String text) {
        String entry = "[" + stream + "] " + masker.mask(text);
        tail.add(entry);
        return entry;
    }

    @Override
    public synchronized void addSecret(String secret) {
        if (secret != null && !secret.isEmpty()) {
            secrets.add(secret);
            masker = new SecretMasker(secrets);
        }
    }

    @Override
    public String tail() {
        return tail.text();
    }
}
