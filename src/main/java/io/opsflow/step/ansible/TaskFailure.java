package io.opsflow.step.ansible;

/** A task that failed (or could not reach its host) on one host, with Ansible's message (cut to 2000 chars). */
public record TaskFailure(String host, String task, String msg) {

    @Override
    public String toString() {
        return host + ": " + task + ": " + msg;
    }
}
