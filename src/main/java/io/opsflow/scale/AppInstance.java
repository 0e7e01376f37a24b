package io.opsflow.scale;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One instance of an application behind an environment's load balancer: where it runs (host, instance name), how
 * the load balancer knows it (backend id, url, color, state) and whether the load balancer sees it healthy.
 * Stored in process variables as plain maps (JSON), never as a Java object.
 */
public record AppInstance(String host, String instance, String backendId, String url, String color, String state,
                          boolean healthy) {

    /** "host/instance", the stable key of an instance in variables and multi-instance collections. */
    public String key() {
        return host + "/" + instance;
    }

    /** Scale instances are named {@code i<n>}; the others (blue, green, ...) were placed by releases. */
    public boolean isScaleInstance() {
        return Placement.isScaleInstanceName(instance);
    }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("host", host);
        m.put("instance", instance);
        m.put("backendId", backendId);
        m.put("url", url);
        m.put("color", color);
        m.put("state", state);
        m.put("healthy", healthy);
        return m;
    }

    public static AppInstance fromMap(Map<?, ?> m) {
        return new AppInstance((String) m.get("host"), (String) m.get("instance"), (String) m.get("backendId"),
                (String) m.get("url"), (String) m.get("color"), (String) m.get("state"),
                Boolean.TRUE.equals(m.get("healthy")));
    }
}
