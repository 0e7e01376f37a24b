package io.opsflow.release;

import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyList;
import static org.mockito.ArgumentMatchers.anySet;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.camunda.bpm.engine.ProcessEngine;
import org.camunda.bpm.engine.impl.util.ClockUtil;
import org.camunda.bpm.engine.runtime.Job;
import org.camunda.bpm.engine.runtime.ProcessInstance;
import org.camunda.bpm.engine.test.assertions.bpmn.BpmnAwareTests;
import org.camunda.bpm.engine.test.mock.Mocks;

import io.opsflow.testsupport.Approve;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/**
 * Shared wiring for the release/deploy process tests: a Mockito {@link ReleaseOperations}, every delegate registered
 * as a mock bean over it (each passing {@link #STEP_LOG} as its step log), fleets, and a job runner that executes
 * due jobs one by one while the clock advances a second per job (real steps take seconds; compensation orders
 * handlers by completion time).
 */
final class ReleaseTestSupport {
    static final String APP = "webapp";

    final ProcessEngine engine;
    /** The step log every delegate passes to {@link #ops} (the mocked {@link StepLogs} hands it out). */
    static final StepLog STEP_LOG = StepLogs.noop();

    final ReleaseOperations ops = mock(ReleaseOperations.class);
    final StepLogs logs = mock(StepLogs.class);
    private long clock = 1_700_000_000_000L;

    @SuppressWarnings("unchecked")
    ReleaseTestSupport(ProcessEngine engine) {
        this.engine = engine;
        BpmnAwareTests.init(engine);
        ClockUtil.setCurrentTime(new java.util.Date(clock));
        when(logs.forExecution(any())).thenReturn(STEP_LOG);
        when(ops.planBatches(anyList(), anyInt())).thenCallRealMethod();
        when(ops.parallelism(any())).thenCallRealMethod(); // one host at a time unless a test says otherwise
        when(ops.checkDiff(any(), any(), any(), anyList(), any())).thenAnswer(inv -> new CheckDiff(true,
                inv.getArgument(3, List.class).size() + " host(s) would change", "--- current\n+++ current\n-1.0.0\n+"
                + inv.getArgument(2), ((List<PlanEntry>) inv.getArgument(3)).stream().map(PlanEntry::host).toList()));
        when(ops.dryRun(any(), any(), any(), anyList(), any())).thenAnswer(inv -> new CheckDiff(true,
                inv.getArgument(3, List.class).size() + " host(s) would change", "switch current 1.0.0 -> "
                + inv.getArgument(2) + "\nrestart on port 8081", ((List<PlanEntry>) inv.getArgument(3)).stream()
                .map(PlanEntry::host).toList()));
        when(ops.activate(any(), any(), any(), any(), any(), any())).thenAnswer(inv -> new Activation(
                inv.getArgument(2), inv.getArgument(3), "1.0.0", inv.getArgument(4), true, "started"));
        when(ops.checkInstance(any(), any(), any(), any(), any(), any()))
                .thenReturn(HealthResult.ok("200 UP", "1.1.0"));
        when(ops.checkThroughLoadBalancer(any(), any(), anySet(), any()))
                .thenReturn(HealthResult.ok("200 UP", "1.1.0"));
        register();
    }

    private void register() {
        Mocks.register("releaseGatherEvidence", new GatherReleaseEvidenceDelegate(ops, logs));
        Approve.registerApprovalBlock();
        Mocks.register("releaseActivateBatch", new ActivateBatchDelegate(ops, logs));
        Mocks.register("releaseRestoreBatch", new RestoreBatchDelegate(ops, logs));
        Mocks.register("releaseHealthGate", new HealthGateDelegate(ops, logs));
        Mocks.register("releaseCanaryCheck", new CanaryCheckDelegate(ops, logs));
        Mocks.register("releaseVerifyThroughLoadBalancer", new VerifyThroughLoadBalancerDelegate(ops, logs));
        Mocks.register("releaseDeployIdle", new DeployIdleDelegate(ops, logs));
        Mocks.register("releaseRestoreIdle", new RestoreIdleDelegate(ops, logs));
        Mocks.register("releaseVerifyIdle", new VerifyIdleDelegate(ops, logs));
        Mocks.register("releaseSwitchTraffic", new SwitchTrafficDelegate(ops, logs));
        Mocks.register("releaseSwitchBack", new SwitchBackDelegate(ops, logs));
        Mocks.register("releaseVerifyRollback", new VerifyRollbackDelegate(ops, logs));
        Mocks.register("releaseRecordResult", new RecordResultDelegate(ops, logs));
        Mocks.register("deployGatherEvidence", new GatherDeployEvidenceDelegate(ops, logs));
        Mocks.register("deployConfigureHosts", new DeploySteps.ConfigureHosts(ops, logs));
        Mocks.register("deployInstall", new DeploySteps.Install(ops, logs));
        Mocks.register("deployRemove", new DeploySteps.Remove(ops, logs));
        Mocks.register("deployStart", new DeploySteps.Start(ops, logs));
        Mocks.register("deployStop", new DeploySteps.Stop(ops, logs));
        Mocks.register("deployHealthCheck", new DeploySteps.HealthCheck(ops, logs));
        Mocks.register("deployRegister", new DeploySteps.Register(ops, logs));
        Mocks.register("deployDeregister", new DeploySteps.Deregister(ops, logs));
        Mocks.register("deployVerifyRemoval", new DeploySteps.VerifyRemoval(ops, logs));
    }

    void close() {
        Mocks.reset();
        ClockUtil.reset();
        engine.getIdentityService().clearAuthentication();
    }

    /** n hosts h1..hn, each with instance {@code live} running {@code version}; LB colour as given. */
    static FleetState fleet(int n, String version, String live, String activeColour) {
        List<String> hosts = new ArrayList<>();
        List<InstanceState> inst = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            hosts.add("h" + i);
            if (version != null) {
                inst.add(new InstanceState("h" + i, live, version, true));
            }
        }
        return new FleetState(hosts, activeColour, inst);
    }

    static FleetState rolling(int n, String version) {
        return fleet(n, version, "blue", null);
    }

    static FleetState withInstance(FleetState f, String instance, String version) {
        List<InstanceState> inst = new ArrayList<>(f.instances());
        f.hosts().forEach(h -> inst.add(new InstanceState(h, instance, version, true)));
        return new FleetState(f.hosts(), f.activeColour(), inst);
    }

    static FleetState colour(FleetState f, String activeColour) {
        return new FleetState(f.hosts(), activeColour, f.instances());
    }

    static Map<String, Object> vars(Object... kv) {
        Map<String, Object> m = new HashMap<>(Map.of("environment", "staging", "application", APP,
                "version", "1.1.0"));
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    ProcessInstance start(String key, Map<String, Object> vars) {
        return engine.getRuntimeService().startProcessInstanceByKey(key, vars);
    }

    ProcessInstance startAs(String user, String key, Map<String, Object> vars) {
        engine.getIdentityService().setAuthenticatedUserId(user);
        try {
            return start(key, vars);
        } finally {
            engine.getIdentityService().clearAuthentication();
        }
    }

    /** Executes due non-timer jobs of the instance one at a time (clock +1 s each) until none is left. */
    void runJobs(ProcessInstance pi) {
        for (int i = 0; i < 500; i++) {
            List<Job> jobs = engine.getManagementService().createJobQuery().processInstanceId(pi.getId())
                    .messages().list();
            if (jobs.isEmpty()) {
                return;
            }
            tick(1000);
            engine.getManagementService().executeJob(jobs.get(0).getId());
        }
        throw new AssertionError("jobs keep coming: endless loop?");
    }

    /** Fires the timer waiting at {@code activityId}, then runs the jobs that follow. */
    void fireTimer(ProcessInstance pi, String activityId) {
        Job timer = timer(pi, activityId);
        tick(1000);
        engine.getManagementService().executeJob(timer.getId());
        runJobs(pi);
    }

    Job timer(ProcessInstance pi, String activityId) {
        return engine.getManagementService().createJobQuery().processInstanceId(pi.getId()).timers()
                .activityId(activityId).singleResult();
    }

    void tick(long ms) {
        clock += ms;
        ClockUtil.setCurrentTime(new java.util.Date(clock));
    }

    long now() {
        return clock;
    }

    Object var(ProcessInstance pi, String name) {
        return engine.getHistoryService().createHistoricVariableInstanceQuery().processInstanceId(pi.getId())
                .variableName(name).singleResult().getValue();
    }

    Map<String, String> versions(ProcessInstance pi, String name) {
        return ReleaseJson.versions(String.valueOf(var(pi, name)));
    }

    ReleasePlan plan(ProcessInstance pi) {
        return ReleaseJson.plan(String.valueOf(var(pi, "releasePlan")));
    }

    List<String> hostList(ProcessInstance pi, String name) {
        return ReleaseJson.strings(String.valueOf(var(pi, name)));
    }
}
