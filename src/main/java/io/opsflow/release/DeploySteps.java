package io.opsflow.release;

import static io.opsflow.release.ReleaseVars.RESTORED_HOSTS;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/**
 * The steps of deploy-application after the evidence, each a thin delegate over {@link ReleaseOperations}; every
 * step that changes hosts has its compensation handler (reverse order over the hosts).
 */
final class DeploySteps {
    private static final Logger LOG = LoggerFactory.getLogger(DeploySteps.class);

    private DeploySteps() {
    }

    private static List<PlanEntry> reversed(ReleaseVars v) {
        List<PlanEntry> l = new ArrayList<>(v.plan().entries());
        Collections.reverse(l);
        return l;
    }

    /** Task_ConfigureHosts: configure-host.yml (users, directories, runtime): idempotent baseline, kept on rollback. */
    @Component("deployConfigureHosts")
    static class ConfigureHosts extends ReleaseStep {
        ConfigureHosts(ReleaseOperations ops, StepLogs logs) {
            super(ops, logs);
        }

        @Override
        void run(ReleaseVars v, StepLog log) {
            ops.configureHosts(v.environment(), v.application(), v.plan().hosts(), log);
        }
    }

    /** Task_InstallApp: installs the release and the instance configuration on every host (not started). */
    @Component("deployInstall")
    static class Install extends ReleaseStep {
        Install(ReleaseOperations ops, StepLogs logs) {
            super(ops, logs);
        }

        @Override
        void run(ReleaseVars v, StepLog log) {
            for (PlanEntry e : v.plan().entries()) {
                ops.installRelease(v.environment(), v.application(), e.toVersion(), e.host(), e.instance(), log);
            }
        }
    }

    /** Task_RemoveApp, compensation of Task_InstallApp: removes the instance and its release from every host. */
    @Component("deployRemove")
    static class Remove extends ReleaseStep {
        Remove(ReleaseOperations ops, StepLogs logs) {
            super(ops, logs);
        }

        @Override
        void run(ReleaseVars v, StepLog log) {
            for (PlanEntry e : reversed(v)) {
                ops.removeInstance(v.environment(), v.application(), e.host(), e.instance(), e.toVersion(), log);
                v.appendHost(RESTORED_HOSTS, e.host());
                LOG.info("rollback: removed {}/{}", e.host(), e.instance());
            }
        }
    }

    /** Task_StartInstances: starts the new instance on every host. */
    @Component("deployStart")
    static class Start extends ReleaseStep {
        Start(ReleaseOperations ops, StepLogs logs) {
            super(ops, logs);
        }

        @Override
        void run(ReleaseVars v, StepLog log) {
            for (PlanEntry e : v.plan().entries()) {
                ops.startInstance(v.environment(), v.application(), e.host(), e.instance(), log);
            }
        }
    }

    /** Task_StopInstances, compensation of Task_StartInstances. */
    @Component("deployStop")
    static class Stop extends ReleaseStep {
        Stop(ReleaseOperations ops, StepLogs logs) {
            super(ops, logs);
        }

        @Override
        void run(ReleaseVars v, StepLog log) {
            for (PlanEntry e : reversed(v)) {
                ops.stopInstance(v.environment(), v.application(), e.host(), e.instance(), log);
            }
        }
    }

    /** Task_HealthCheck: every new instance healthy with the version, directly; else HEALTH_CHECK_FAILED. */
    @Component("deployHealthCheck")
    static class HealthCheck extends ReleaseStep {
        HealthCheck(ReleaseOperations ops, StepLogs logs) {
            super(ops, logs);
        }

        @Override
        void run(ReleaseVars v, StepLog log) {
            requireHealthy(v, log, "new instances failed their health check");
        }
    }

    /** Task_RegisterBackends: every new instance becomes a backend of the application's pool. */
    @Component("deployRegister")
    static class Register extends ReleaseStep {
        Register(ReleaseOperations ops, StepLogs logs) {
            super(ops, logs);
        }

        @Override
        void run(ReleaseVars v, StepLog log) {
            for (PlanEntry e : v.plan().entries()) {
                ops.registerBackend(v.environment(), v.application(), e.host(), e.instance(), e.instance(), log);
            }
        }
    }

    /** Task_DeregisterBackends, compensation of Task_RegisterBackends. */
    @Component("deployDeregister")
    static class Deregister extends ReleaseStep {
        Deregister(ReleaseOperations ops, StepLogs logs) {
            super(ops, logs);
        }

        @Override
        void run(ReleaseVars v, StepLog log) {
            for (PlanEntry e : reversed(v)) {
                ops.deregisterBackend(v.environment(), v.application(), e.host(), e.instance(), log);
            }
        }
    }

    /**
     * Task_VerifyRemoval (deploy rollback): nothing of the application is left on the hosts; records hostsAfter;
     * else ROLLBACK_INCOMPLETE.
     */
    @Component("deployVerifyRemoval")
    static class VerifyRemoval extends ReleaseStep {
        VerifyRemoval(ReleaseOperations ops, StepLogs logs) {
            super(ops, logs);
        }

        @Override
        void run(ReleaseVars v, StepLog log) {
            FleetState fleet = ops.observe(v.environment(), v.application(), log);
            v.setVersions(ReleaseVars.HOSTS_AFTER, fleet.liveVersions());
            List<String> hosts = v.plan().hosts();
            List<String> left = fleet.instances().stream().filter(i -> hosts.contains(i.host()))
                    .map(i -> i.host() + "/" + i.instance() + " " + i.version()).toList();
            if (!left.isEmpty()) {
                throw v.failure(ReleaseVars.ERR_ROLLBACK_INCOMPLETE, "rollback incomplete: still installed: "
                        + String.join(", ", left));
            }
        }
    }
}
