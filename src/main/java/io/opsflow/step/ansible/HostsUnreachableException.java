package io.opsflow.step.ansible;

import java.util.stream.Collectors;

/**
 * Ansible could not reach some hosts (connection refused or timed out, SSH authentication or host key failure)
 * and no task failed. A technical failure: Camunda retries the step, then raises an incident naming the hosts
 * and SSH's message.
 */
public class HostsUnreachableException extends RuntimeException {
    private final transient PlaybookResult result;

    public HostsUnreachableException(PlaybookResult result) {
        super(message(result));
        this.result = result;
    }

    public PlaybookResult result() {
        return result;
    }

    static String message(PlaybookResult r) {
        String why = r.unreachable().stream().map(f -> f.host() + ": " + f.msg().strip()).distinct().limit(10)
                .collect(Collectors.joining("; "));
        return PlaybookResult.cut("Hosts unreachable: " + String.join(", ", r.unreachableHosts()) + " (" + why
                + "). Check that the host is up, its SSH port is reachable from opsflow, the key is authorized and"
                + " its host key is in known_hosts.", 3000);
    }
}
