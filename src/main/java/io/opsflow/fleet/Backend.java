package io.opsflow.fleet;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * An instance as its load balancer pool sees it, from {@code lb-ctl.sh}: its backend id ({@code <host>-<instance>}),
 * whether the pool has it ({@code present}), its state ({@code active}|{@code drained}), the load balancer's health
 * view, url, colour, the pool's active colour and the requests it is serving (null when not counted).
 */
public record Backend(String id, String pool, boolean present, String state, boolean healthy, String url,
                      String color, String active, Integer inFlight) {

    static Backend of(String id, String pool, JsonNode j) {
        return new Backend(id, pool, j.path("present").asBoolean(false), Json.text(j, "state"),
                j.path("healthy").asBoolean(false), Json.text(j, "url"), Json.text(j, "color"),
                Json.text(j, "active"), j.path("inFlight").isInt() ? j.path("inFlight").asInt() : null);
    }
}
