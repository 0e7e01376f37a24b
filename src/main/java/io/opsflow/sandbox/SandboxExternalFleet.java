package io.opsflow.sandbox;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.env.EnvironmentPostProcessor;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.PropertySource;
import org.springframework.core.io.FileSystemResource;

import io.opsflow.environments.EnvironmentsProperties;

/**
 * {@code opsflow.sandbox.mode=external}: this engine node runs no fleet of its own and uses the one a fleet process
 * ({@code opsflow.sandbox.mode=fleet}, {@link SandboxFleetApplication}) runs, through the configuration that fleet
 * writes into its directory ({@link SandboxEngineConfig#FILE}, plain {@code opsflow.environments.*}). The file is
 * added as the property source of lowest precedence: what the engine's own configuration says about an environment
 * (approval, databases, Terraform root, and hosts or SSH settings if it names them) wins, the fleet fills in the rest
 * — the same way the engine is configured for real hosts.
 * <p>
 * Why a generated configuration file rather than a sandbox client in the engine: nothing in the engine differs between
 * sandbox hosts and real ones (no sandbox bean, no sandbox provisioner), so a cluster test against the fleet exercises
 * the production code path. The start refuses, naming the directory and what is missing, when there is no fleet there,
 * when it is incomplete (key, known_hosts, inventory or artifact store gone) or when its hosts do not answer.
 */
public class SandboxExternalFleet implements EnvironmentPostProcessor, Ordered {

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment env, SpringApplication application) {
        String mode = env.getProperty("opsflow.sandbox.mode", "embedded");
        if (!"external".equalsIgnoreCase(mode)) {
            return;
        }
        if (Arrays.asList(env.getActiveProfiles()).contains("prod")) {
            throw new IllegalStateException("prod profile: opsflow.sandbox.mode=external is a sandbox setting; "
                    + "configure the environments of real hosts under opsflow.environments instead");
        }
        env.getPropertySources().addLast(load(env.getProperty("opsflow.sandbox.fleet-dir")));
    }

    /** Reads and checks {@code <fleetDir>/}{@value SandboxEngineConfig#FILE}; throws naming what is wrong. */
    static PropertySource<?> load(String fleetDir) {
        if (fleetDir == null || fleetDir.isBlank()) {
            throw new IllegalStateException("opsflow.sandbox.mode=external needs opsflow.sandbox.fleet-dir: the "
                    + "directory of the fleet process (its opsflow.sandbox.dir; start it with "
                    + "--opsflow.sandbox.mode=fleet --opsflow.sandbox.dir=<dir>)");
        }
        Path dir = Path.of(fleetDir).toAbsolutePath().normalize();
        String start = " — start the fleet first: java -jar opsflow.jar --opsflow.sandbox.mode=fleet "
                + "--opsflow.sandbox.dir=" + dir;
        if (!Files.isDirectory(dir)) {
            throw new IllegalStateException("opsflow.sandbox.fleet-dir " + dir + " does not exist" + start);
        }
        Path file = dir.resolve(SandboxEngineConfig.FILE);
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException("no sandbox fleet runs in " + dir + ": " + SandboxEngineConfig.FILE
                    + " is missing (the fleet writes it once it is up and removes it when it stops)" + start);
        }
        List<PropertySource<?>> sources;
        try {
            sources = new YamlPropertySourceLoader().load("sandbox fleet " + file, new FileSystemResource(file));
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("the sandbox fleet in " + dir + " is incomplete: " + file
                    + " cannot be read: " + e.getMessage(), e);
        }
        if (sources.size() != 1) {
            throw new IllegalStateException("the sandbox fleet in " + dir + " is incomplete: " + file
                    + " holds no configuration");
        }
        check(dir, sources.get(0));
        return sources.get(0);
    }

    private static void check(Path dir, PropertySource<?> source) {
        org.springframework.core.env.MutablePropertySources one = new org.springframework.core.env.MutablePropertySources();
        one.addFirst(source);
        EnvironmentsProperties props = new Binder(org.springframework.boot.context.properties.source
                .ConfigurationPropertySources.from(one)).bind("opsflow", Bindable.of(EnvironmentsProperties.class))
                .orElseGet(EnvironmentsProperties::new);
        List<String> missing = new ArrayList<>();
        if (props.getEnvironments().isEmpty()) {
            missing.add("no environments in " + SandboxEngineConfig.FILE);
        }
        List<Integer> sshPorts = new ArrayList<>();
        props.getEnvironments().forEach((name, e) -> {
            requireFile(missing, name + " SSH key", e.getSsh().getKeyRef() == null ? null
                    : e.getSsh().getKeyRef().replaceFirst("^file:", ""));
            requireFile(missing, name + " known_hosts", e.getSsh().getKnownHosts());
            requireFile(missing, name + " Ansible inventory", e.getAnsibleInventory());
            requireFile(missing, name + " artifact store", e.getArtifactStore());
            e.getHosts().forEach(h -> sshPorts.add(h.getSshPort()));
        });
        if (!missing.isEmpty()) {
            throw new IllegalStateException("the sandbox fleet in " + dir + " is incomplete: " + String.join("; ",
                    missing) + " (remove the directory and start the fleet again)");
        }
        if (!sshPorts.isEmpty() && !answers(sshPorts.get(0))) {
            throw new IllegalStateException("the sandbox fleet in " + dir + " does not answer (its first host's SSH "
                    + "port 127.0.0.1:" + sshPorts.get(0) + " refused the connection): it was killed; start it again");
        }
    }

    private static void requireFile(List<String> missing, String what, String path) {
        if (path == null || path.isBlank()) {
            missing.add(what + " not set");
        } else if (!Files.exists(Path.of(path))) {
            missing.add(what + " " + path + " does not exist");
        }
    }

    private static boolean answers(Integer port) {
        if (port == null) {
            return false;
        }
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(SandboxFleet.LOOPBACK, port), 2000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** After application.yaml and the command line are read (they say whether this node is external). */
    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE;
    }
}
