package io.opsflow.release;

import static io.opsflow.release.ReleaseVars.RESTORED_HOSTS;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.camunda.bpm.engine.delegate.DelegateExecution;
import org.camunda.bpm.engine.delegate.JavaDelegate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * The steps of deploy-application after the evidence, each a thin delegate over {@link ReleaseOperations}; every
 * step that changes hosts has its compensation handler (reverse order over the hosts).
 */
public final class DeploySteps {
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
    public static class ConfigureHosts implements JavaDelegate {
        private final ReleaseOperations ops;

        public ConfigureHosts(ReleaseOperations ops) {
            this.ops = ops;
        }

        @Override
        public void execute(DelegateExecution execution) {
            ReleaseVars v = new ReleaseVars(execution);
            ops.configureHosts(v.environment(), v.application(), v.plan().hosts());
        }
    }

    /** Task_InstallApp: installs the release and the instance configuration on every host (not started). */
    @Component("deployInstall")
    public static class Install implements JavaDelegate {
        private final ReleaseOperations ops;

        public Install(ReleaseOperations ops) {
            this.ops = ops;
        }

        @Override
        public void execute(DelegateExecution execution) {
            ReleaseVars v = new ReleaseVars(execution);
            for (PlanEntry e : v.plan().entries()) {
                ops.installRelease(v.environment(), v.application(), e.toVersion(), e.host(), e.instance());
            }
        }
    }

    /** Task_RemoveApp, compensation of Task_InstallApp: removes the instance and its release from every host. */
    @Component("deployRemove")
    public static class Remove implements JavaDelegate {
        private final ReleaseOperations ops;

        public Remove(ReleaseOperations ops) {
            this.ops = ops;
        }

        @Override
        public void execute(DelegateExecution execution) {
            ReleaseVars v = new ReleaseVars(execution);
            for (PlanEntry e : reversed(v)) {
                ops.removeInstance(v.environment(), v.application(), e.host(), e.instance(), e.toVersion());
                v.appendHost(RESTORED_HOSTS, e.host());
                LOG.info("rollback: removed {}/{}", e.host(), e.instance());
            }
        }
    }

    /** Task_StartInstances: starts the new instance on every host. */
    @Component("deployStart")
    public static class Start implements JavaDelegate {
        private final ReleaseOperations ops;

        public Start(ReleaseOperations ops) {
            this.ops = ops;
        }

        @Override
        public void execute(DelegateExecution execution) {
            ReleaseVars v = new ReleaseVars(execution);
            for (PlanEntry e : v.plan().entries()) {
                ops.startInstance(v.environment(), v.application(), e.host(), e.instance());
            }
        }
    }

    /** Task_StopInstances, compensation of Task_StartInstances. */
    @Component("deployStop")
    public static class Stop implements JavaDelegate {
        private final ReleaseOperations ops;

        public Stop(ReleaseOperations ops) {
            this.ops = ops;
        }

        @Override
        public void execute(DelegateExecution execution) {
            ReleaseVars v = new ReleaseVars(execution);
            for (PlanEntry e : reversed(v)) {
                ops.stopInstance(v.environment(), v.application(), e.host(), e.instance());
            }
        }
    }

    /** Task_HealthCheck: every new instance healthy with the version, directly; else HEALTH_CHECK_FAILED. */
    @Component("deployHealthCheck")
    public static class HealthCheck implements JavaDelegate {
        private final ReleaseOperations ops;

        public HealthCheck(ReleaseOperations ops) {
            this.ops = ops;
        }

        @Override
        public void execute(DelegateExecution execution) {
            ReleaseVars v = new ReleaseVars(execution);
            Map<PlanEntry, String> unhealthy = new LinkedHashMap<>();
            for (PlanEntry e : v.plan().entries()) {
                HealthResult r = ops.checkInstance(v.environment(), v.application(), e.host(), e.instance(),
                        e.toVersion());
                if (!r.healthy()) {
                    unhealthy.put(e, r.detail());
                }
            }
            if (!unhealthy.isEmpty()) {
                v.setJson(ReleaseVars.FAILED_HOSTS, unhealthy.keySet().stream().map(PlanEntry::host).toList());
                throw v.healthFailure("new instances failed their health check: "
                        + HealthGateDelegate.describe(unhealthy));
            }
        }
    }

    /** Task_RegisterBackends: every new instance becomes a backend of the application's pool. */
    @Component("deployRegister")
    public static class Register implements JavaDelegate {
        private final ReleaseOperations ops;

        public Register(ReleaseOperations ops) {
            this.ops = ops;
        }

        @Override
        public void execute(DelegateExecution execution) {
            ReleaseVars v = new ReleaseVars(execution);
            for (PlanEntry e : v.plan().entries()) {
                ops.registerBackend(v.environment(), v.application(), e.host(), e.instance(), e.instance());
            }
        }
    }

    /** Task_DeregisterBackends, compensation of Task_RegisterBackends. */
    @Component("deployDeregister")
    public static class Deregister implements JavaDelegate {
        private final ReleaseOperations ops;

        public Deregister(ReleaseOperations ops) {
            this.ops = ops;
        }

        @Override
        public void execute(DelegateExecution execution) {
            ReleaseVars v = new ReleaseVars(execution);
            for (PlanEntry e : reversed(v)) {
                ops.deregisterBackend(v.environment(), v.application(), e.host(), e.instance());
            }
        }
    }

    /**
     * Task_VerifyRemoval (deploy rollback): nothing of the application is left on the hosts; records hostsAfter;
     * else ROLLBACK_INCOMPLETE.
     */
    @Component("deployVerifyRemoval")
    public static class VerifyRemoval implements JavaDelegate {
        private final ReleaseOperations ops;

        public VerifyRemoval(ReleaseOperations ops) {
            this.ops = ops;
        }

        @Override
        public void execute(DelegateExecution execution) {
            ReleaseVars v = new ReleaseVars(execution);
            FleetState fleet = ops.observe(v.environment(), v.application());
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
