package io.opsflow.fleet;

/**
 * What {@code health-probe.sh} saw, run on a host against an instance's health path on 127.0.0.1 (the way the host
 * itself and its load balancer see the instance): {@code status} null when nothing answered.
 */
public record HostProbe(String host, String url, boolean healthy, Integer status, int attempts, String error) {

    /** "answered 503" or "answered nothing: connection refused". */
    public String describe() {
        return url + " answered " + (status == null ? "nothing" : String.valueOf(status))
                + (error == null || status != null ? "" : ": " + error);
    }
}
