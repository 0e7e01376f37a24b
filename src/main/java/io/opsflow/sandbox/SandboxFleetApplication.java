package io.opsflow.sandbox;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Import;
import org.springframework.context.event.ContextClosedEvent;

import io.opsflow.environments.Environments;
import io.opsflow.environments.EnvironmentsProperties;
import io.opsflow.step.exec.CommandRunner;
import io.opsflow.step.ssh.SshConnections;
import io.opsflow.step.ssh.SshProperties;
import io.opsflow.step.ssh.WorkerScripts;

/**
 * {@code opsflow.sandbox.mode=fleet}: the same jar runs the sandbox fleet alone — hosts, load balancers, artifact
 * store, the environments' databases, the mail server — with no process engine, no database of its own and no web
 * server, until it is stopped (SIGTERM / Ctrl-C stops the fleet cleanly). Engine nodes started with
 * {@code opsflow.sandbox.mode=external} and {@code opsflow.sandbox.fleet-dir=<its opsflow.sandbox.dir>} use it
 * ({@link SandboxExternalFleet}); several engine nodes can share one fleet.
 * <p>
 * A context of its own rather than the application with parts switched off: nothing of the engine (Camunda's
 * auto-configuration, delegates, REST, security) is created, so the fleet process starts in seconds and its
 * lifetime is independent of every engine node's.
 */
// not a @Configuration: the engine application's component scan must not pick it up (a prod context would hold a
// sandbox bean); as the primary source of its own SpringApplication its @Import and @Enable… are processed all the same
@EnableConfigurationProperties({EnvironmentsProperties.class, SshProperties.class})
@Import({SandboxConfiguration.class, Environments.class, CommandRunner.class, SshConnections.class,
        WorkerScripts.class})
public class SandboxFleetApplication {
    private static final Logger LOG = LoggerFactory.getLogger(SandboxFleetApplication.class);

    /**
     * Whether this start asks for the fleet alone: {@code --opsflow.sandbox.mode=fleet} on the command line, the
     * system property {@code opsflow.sandbox.mode} or the environment variable {@code OPSFLOW_SANDBOX_MODE}.
     */
    public static boolean requested(String[] args, Map<String, String> env) {
        String mode = Arrays.stream(args).filter(a -> a.startsWith("--opsflow.sandbox.mode="))
                .map(a -> a.substring("--opsflow.sandbox.mode=".length())).reduce((a, b) -> b)
                .orElse(System.getProperty("opsflow.sandbox.mode", env.get("OPSFLOW_SANDBOX_MODE")));
        return "fleet".equalsIgnoreCase(mode);
    }

    /** Starts the fleet; the context closes (and the fleet stops) with the JVM's shutdown hook. */
    public static ConfigurableApplicationContext start(String... args) {
        SpringApplication app = new SpringApplication(SandboxFleetApplication.class);
        app.setWebApplicationType(WebApplicationType.NONE);
        ConfigurableApplicationContext ctx = app.run(args);
        if (ctx.getBeanNamesForType(SandboxFleet.class).length == 0) {
            ctx.close();
            throw new IllegalStateException("opsflow.sandbox.mode=fleet needs opsflow.sandbox.enabled=true (and not "
                    + "the prod profile): there is no fleet to run");
        }
        SandboxFleet fleet = ctx.getBean(SandboxFleet.class);
        LOG.info("sandbox fleet running alone in {}; point engine nodes at it with --opsflow.sandbox.mode=external "
                + "--opsflow.sandbox.fleet-dir={}", fleet.dir(), fleet.dir());
        return ctx;
    }

    /** Runs the fleet until the JVM is told to stop. */
    public static void main(String[] args) throws InterruptedException {
        CountDownLatch closed = new CountDownLatch(1);
        ConfigurableApplicationContext ctx = start(args);
        ctx.addApplicationListener((ContextClosedEvent e) -> closed.countDown());
        if (!ctx.isActive()) {
            return;
        }
        closed.await();
    }
}
