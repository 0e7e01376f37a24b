package io.opsflow.fleet;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One application instance on a host, as {@code workers/inventory.sh} reports it: {@code state} running|stopped,
 * {@code desiredState} running|stopped|null, {@code version} null when it has no {@code current} release,
 * {@code healthy} null when stopped or not probed.
 */
public record HostInstance(String host, String app, String instance, String state, String desiredState,
                           String version, Integer port, Boolean healthy) {

    public boolean running() {
        return "running".equals(state);
    }

    /** Should be running: its desired state says so, or (none recorded) it runs now. */
    public boolean wanted() {
        return desiredState == null ? running() : "running".equals(desiredState);
    }

    /** {@code app/instance}. */
    public String label() {
        return app + "/" + instance;
    }

    /** The {@code instances} of one host's inventory.sh result. */
    static List<HostInstance> parse(String host, JsonNode inventory) {
        List<HostInstance> out = new ArrayList<>();
        for (JsonNode i : inventory.path("instances")) {
            out.add(new HostInstance(host, i.path("app").asText(), i.path("instance").asText(), Json.text(i, "state"),
                    Json.text(i, "desiredState"), Json.text(i, "version"), Json.integer(i, "port"),
                    Json.bool(i, "healthy")));
        }
        return out;
    }
}
