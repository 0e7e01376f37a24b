package io.opsflow.scale;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.opsflow.platform.runbook.InputSpec;

/** Where an instance goes or comes from: host name and instance name, written "host/instance" in variables. */
public record Placement(String host, String instance) {
    private static final Pattern SCALE_INSTANCE = Pattern.compile("i([1-9][0-9]{0,2})");
    /** Host names as the environments configuration allows them. */
    public static final Pattern HOST = Pattern.compile("[a-z0-9][a-z0-9.-]{0,62}");

    public Placement {
        if (host == null || !HOST.matcher(host).matches()) {
            throw new IllegalArgumentException("not a host name: " + host);
        }
        if (instance == null || !InputSpec.NAME.matcher(instance).matches()) {
            throw new IllegalArgumentException("not an instance name: " + instance);
        }
    }

    public String key() {
        return host + "/" + instance;
    }

    public static Placement parse(String key) {
        int slash = key == null ? -1 : key.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("not a placement (host/instance): " + key);
        }
        return new Placement(key.substring(0, slash), key.substring(slash + 1));
    }

    /** Backend id of an instance in the load balancer pool: {@code <host>-<instance>}. */
    public String backendId() {
        return host + "-" + instance;
    }

    public static boolean isScaleInstanceName(String instance) {
        return instance != null && SCALE_INSTANCE.matcher(instance).matches();
    }

    /** n of {@code i<n>}, or 0 for other names. */
    public static int scaleIndex(String instance) {
        Matcher m = instance == null ? null : SCALE_INSTANCE.matcher(instance);
        return m != null && m.matches() ? Integer.parseInt(m.group(1)) : 0;
    }

    @Override
    public String toString() {
        return key();
    }
}
