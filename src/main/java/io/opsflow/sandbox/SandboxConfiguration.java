package io.opsflow.sandbox;

import java.nio.file.Path;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Profile;
import org.springframework.core.env.Environment;

import io.opsflow.certificates.CertificateOperations;
import io.opsflow.certificates.CertificatesProperties;
import io.opsflow.environments.Environments;
import io.opsflow.platform.tools.Tools;
import io.opsflow.step.exec.CommandRunner;
import io.opsflow.step.ssh.WorkerScripts;

/**
 * Creates the sandbox fleet when {@code opsflow.sandbox.enabled=true} (and {@code opsflow.sandbox.mode} is not
 * {@code external}), never in the {@code prod} profile. The fleet is
 * a {@link org.springframework.context.SmartLifecycle}: it starts with the application context and stops with it.
 * <p>
 * Every sandbox-only bean is registered here and nowhere else, so none exists in {@code prod}: its settings
 * ({@link SandboxProperties}), the fleet, its databases, and its {@code provision.FleetProvisioner}
 * ({@link SandboxFleetProvisioner}). Nothing in the sandbox package is a {@code @Component} or a
 * {@code @ConfigurationProperties} class, which the application's scans would register in every profile.
 */
@Configuration(proxyBeanMethods = false)
@Profile("!prod")
@ConditionalOnProperty(prefix = "opsflow.sandbox", name = "enabled", havingValue = "true")
// mode=external: the fleet runs in a process of its own, this node only reads its configuration (SandboxExternalFleet)
@org.springframework.boot.autoconfigure.condition.ConditionalOnExpression(
        "'${opsflow.sandbox.mode:embedded}'.toLowerCase() != 'external'")
@Import({SandboxFleetProvisioner.class, io.opsflow.sandbox.faults.SandboxFaultsBeans.class})
public class SandboxConfiguration {

    /** {@code opsflow.sandbox.*}. */
    @Bean
    @ConfigurationProperties(prefix = "opsflow.sandbox")
    public SandboxProperties sandboxProperties() {
        return new SandboxProperties();
    }

    /**
     * What the sandbox needs on this machine, checked (and installed, as root with apt-get) before the fleet starts:
     * see {@link SandboxPrerequisites}.
     */
    @Bean
    public SandboxPrerequisites sandboxPrerequisites(SandboxProperties props, CommandRunner runner) {
        SandboxPrerequisites prerequisites = new SandboxPrerequisites(SandboxPrerequisites.DEFAULT, new Tools(),
                new Tools(props.getHostPath()), runner, props.getInstallTools(), SandboxPrerequisites::runningAsRoot);
        prerequisites.ensure();
        return prerequisites;
    }

    @Bean
    public SandboxFleet sandboxFleet(SandboxProperties props, Environment springEnv, CommandRunner runner,
                                     ObjectProvider<Environments> environments, ObjectProvider<WorkerScripts> workers,
                                     SandboxPrerequisites prerequisites) {
        SandboxFleet fleet = new SandboxFleet(props, sandboxDir(props, springEnv), runner,
                environments.getIfAvailable(), workers.getIfAvailable());
        fleet.beginStart(); // overlaps the engine's build (see fleetBeforeTheEngine); start() waits for it
        return fleet;
    }

    /**
     * Makes the process engine's configuration depend on the fleet, so the fleet bean is created (and
     * {@link SandboxFleet#beginStart() begins} starting on a thread of its own) before the engine is built rather than
     * after: on two cores the fleet's seconds (SSH hosts, load balancers, the first-start deployment) then overlap the
     * engine's. Without an engine in the context (the fleet as its own process) nothing changes.
     */
    @Bean
    public static org.springframework.beans.factory.config.BeanFactoryPostProcessor fleetBeforeTheEngine() {
        return beanFactory -> {
            if (!beanFactory.containsBeanDefinition("sandboxFleet")) {
                return;
            }
            for (String name : beanFactory.getBeanNamesForType(
                    org.camunda.bpm.engine.impl.cfg.ProcessEngineConfigurationImpl.class, true, false)) {
                org.springframework.beans.factory.config.BeanDefinition d = beanFactory.getBeanDefinition(name);
                java.util.List<String> on = new java.util.ArrayList<>(d.getDependsOn() == null ? java.util.List.of()
                        : java.util.List.of(d.getDependsOn()));
                if (!on.contains("sandboxFleet")) {
                    on.add("sandboxFleet");
                    d.setDependsOn(on.toArray(String[]::new));
                }
            }
        };
    }

    @Bean
    public SandboxDatabases sandboxDatabases(Environments environments) {
        return new SandboxDatabases(environments);
    }

    /** The TLS edges (pebble, certbot, nginx) of {@code opsflow.certificates.environments}, see {@link SandboxEdge}. */
    @Bean
    public SandboxEdge sandboxEdge(Environment springEnv,
                                   org.springframework.beans.factory.ObjectProvider<CertificatesProperties> edges,
                                   org.springframework.beans.factory.ObjectProvider<CertificateOperations> certificates,
                                   SandboxFleet fleet, CommandRunner runner) {
        // without the certificates runbook's beans (a context of the sandbox alone) there are no edges to start
        return new SandboxEdge(org.springframework.boot.context.properties.bind.Binder.get(springEnv)
                .bind("opsflow.sandbox.edge", SandboxEdge.Settings.class).orElseGet(SandboxEdge.Settings::new),
                edges.getIfAvailable(CertificatesProperties::new), certificates.getIfAvailable(), fleet, runner);
    }

    /** The mail server notifications go to in sandbox mode ({@code opsflow.sandbox.mail.port}, default 3025). */
    @Bean
    public SandboxMail sandboxMail(Environment springEnv) {
        return new SandboxMail(springEnv.getProperty("opsflow.sandbox.mail.port", Integer.class, 3025));
    }

    /** {@code GET /api/sandbox/mail}: the mail {@link SandboxMail} caught (administrators). */
    @Bean
    public org.springframework.web.servlet.function.RouterFunction<org.springframework.web.servlet.function.ServerResponse>
            sandboxMailRoutes(SandboxMail mail, ObjectProvider<org.camunda.bpm.engine.ProcessEngine> engine) {
        // resolved per request: a context of the sandbox alone (no engine) still starts
        return SandboxMail.routes(mail, () -> engine.getObject().getIdentityService());
    }

    /** {@code opsflow.sandbox.dir}, else {@code ${opsflow.var-dir:var}/sandbox}. */
    static Path sandboxDir(SandboxProperties props, Environment springEnv) {
        if (props.getDir() != null) {
            return props.getDir();
        }
        return Path.of(springEnv.getProperty("opsflow.var-dir", "var"), "sandbox");
    }
}
