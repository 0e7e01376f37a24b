package io.opsflow.platform.api;

import java.util.Map;

import io.opsflow.environments.Environment;

/**
 * Live state of an environment for the API, shape: {@code {"name","requiresApproval","loadBalancer":{"url"},
 * "hosts":[{"name","address","sshPort","reachable","instances":[{"application","version","healthy","url",
 * "color"}]}]}}.
 */
public interface EnvironmentStateProbe {
    Map<String, Object> observe(Environment environment);
}
