package io.opsflow.platform.api;

import java.util.List;
import java.util.Map;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import io.opsflow.environments.Environment;
import io.opsflow.environments.Environments;

/**
 * {@code GET /api/environments} lists the environments and their hosts (configuration);
 * {@code GET /api/environments/{name}} reports one, with live observed state when an observer is available
 * (reachability over SSH, instances, versions, health — probed now, not remembered).
 */
@RestController
@RequestMapping("/api/environments")
public class EnvironmentController {
    private final Environments environments;
    private final ObjectProvider<EnvironmentStateProbe> probe;

    public EnvironmentController(Environments environments, ObjectProvider<EnvironmentStateProbe> probe) {
        this.environments = environments;
        this.probe = probe;
    }

    @GetMapping
    public List<Map<String, Object>> list() {
        return environments.all().stream().map(Environments::describe).toList();
    }

    @GetMapping("/{name}")
    public Map<String, Object> get(@PathVariable String name) {
        Environment e = environments.get(name);
        EnvironmentStateProbe p = probe.getIfAvailable();
        return p == null ? Environments.describe(e) : p.observe(e);
    }
}
