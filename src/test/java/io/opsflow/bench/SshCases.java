package io.opsflow.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.camunda.bpm.engine.delegate.JavaDelegate;

import io.opsflow.step.exec.StepLogs;
import io.opsflow.step.ssh.SshCommandDelegate;
import io.opsflow.step.ssh.SshConnections;
import io.opsflow.step.ssh.SshProperties;
import io.opsflow.step.ssh.SshStep;
import io.opsflow.testsupport.OpenSshd;

/**
 * Remote steps against a real OpenSSH sshd on loopback: 50 sequential {@code sshCommand} steps through a runbook
 * (async steps, job executor, lease, history full, H2) against the same 50 commands over one multiplexed OpenSSH
 * connection (ControlMaster: the floor) and against a new {@code ssh} per command with SSHJ's key exchange; then 20
 * parallel branches of the same step.
 */
final class SshCases {
    static final int STEPS = 50;
    static final int BRANCHES = 20;
    private final Bench b;

    SshCases(Bench b) {
        this.b = b;
    }

    void run() throws Exception {
        try (OpenSshd sshd = OpenSshd.start()) {
            Path dir = Files.createTempDirectory(b.work, "ssh");
            Path sock = Files.createTempDirectory("ob").resolve("cm");
            List<String> base = new ArrayList<>(List.of("ssh", "-F", "/dev/null", "-i",
                    sshd.clientPrivateKey().toString(), "-p", String.valueOf(sshd.port()), "-o",
                    "UserKnownHostsFile=" + sshd.knownHostsFile(), "-o", "StrictHostKeyChecking=yes", "-o",
                    "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "LogLevel=ERROR"));
            String dest = sshd.user() + "@127.0.0.1";
            List<String> master = new ArrayList<>(base);
            master.addAll(List.of("-o", "ControlMaster=yes", "-o", "ControlPath=" + sock, "-o",
                    "ControlPersist=300", "-f", "-N", dest));
            Bench.timeCommand(master, null);
            List<String> viaMaster = new ArrayList<>(base);
            viaMaster.addAll(List.of("-o", "ControlMaster=no", "-o", "ControlPath=" + sock, dest, "true"));
            List<String> plain = new ArrayList<>(base);
            plain.addAll(List.of("-o", "ControlMaster=no", "-o", "ControlPath=none", "-o",
                    "KexAlgorithms=curve25519-sha256", dest, "true"));

            SshProperties props = new SshProperties("file:" + sshd.clientPrivateKey(), null, sshd.knownHostsFile(),
                    List.of(), sshd.user(), sshd.port(), Duration.ofSeconds(15), Duration.ofMinutes(1));
            SshConnections connections = new SshConnections(props);
            // step logs as the application keeps them: in the engine's database (H2 here), flushed every second
            var ds = BenchEngine.h2();
            StepLogs stepLogs = new StepLogs(ds, dir.resolve("logs").toString(), Duration.ofSeconds(1));
            StepBreakdown.Timed sshCommand = new StepBreakdown.Timed(new SshCommandDelegate(new SshStep(connections),
                    props, stepLogs));
            Map<String, Object> vars = Map.of("host", "127.0.0.1", "sshPort", sshd.port(), "sshUser", sshd.user(),
                    "command", "[\"true\"]");
            int reps = b.reps(1, 3);
            List<Double> floor = new ArrayList<>();
            List<Double> ssh = new ArrayList<>();
            List<Double> opsflow = new ArrayList<>();
            List<Double> inside = new ArrayList<>();
            List<Double> delegate = new ArrayList<>();
            List<Double> variables = new ArrayList<>();
            List<Double> noopSteps = new ArrayList<>();
            List<Double> noopInside = new ArrayList<>();
            try (BenchEngine e = BenchEngine.build(ds, true,
                    Map.of("sshCommand", sshCommand, "noop", (JavaDelegate) x -> { }))) {
                e.startJobExecutor();
                parallel(e, vars); // also the warm-up: class loading, JIT, first connections
                for (int r = 0; r < reps; r++) {
                    floor.add(sequence(viaMaster));
                    ssh.add(sequence(plain));
                    String[] pi = new String[1];
                    sshCommand.reset();
                    opsflow.add(runbook(e, vars, pi, "bench-ssh-seq"));
                    inside.add(insideSteps(e, pi[0]));
                    delegate.add(sshCommand.msPerCall());
                    variables.add(sshCommand.variablesMsPerCall());
                    noopSteps.add(runbook(e, vars, pi, "bench-noop-seq"));
                    noopInside.add(insideSteps(e, pi[0]));
                }
                double f = Bench.median(floor);
                double s = Bench.median(ssh);
                double o = Bench.median(opsflow);
                double in = Bench.median(inside);
                b.put("step_ms_inside_step", in * 1000 / STEPS);
                b.put("step_ms_between_steps", (o - in) * 1000 / STEPS);
                b.put("step_ms_controlmaster_command", f * 1000 / STEPS);
                b.put("step_seconds_opsflow_50", o);
                b.put("step_seconds_controlmaster_50", f);
                b.put("step_seconds_plain_ssh_50", s);
                b.compare("step_overhead_vs_floor", "50 sequential ssh steps vs ControlMaster", o / f, o, f, "s",
                        "<= 1.10");
                b.row("  per step: inside the step / engine between steps", Bench.fmt(in * 1000 / STEPS, "ms"),
                        Bench.fmt((o - in) * 1000 / STEPS, "ms"), "-", "-");
                b.compare("step_overhead_vs_plain_ssh", "50 sequential ssh steps vs new ssh each", o / s, o, s, "s",
                        "(record)");
                breakdown(connections, props.target("127.0.0.1", sshd.port(), sshd.user()), sshd, stepLogs,
                        Bench.median(delegate), Bench.median(variables), in * 1000 / STEPS,
                        Bench.median(noopSteps) * 1000 / STEPS,
                        Bench.median(noopInside) * 1000 / STEPS);
            } finally {
                connections.close(); // before sshd stops: no "broken transport" noise from pooled connections
                List<String> exit = new ArrayList<>(base);
                exit.addAll(List.of("-o", "ControlPath=" + sock, "-O", "exit", dest));
                Bench.exec(exit, null, 30);
            }
        }
    }

    private static double sequence(List<String> argv) throws Exception {
        long t = System.nanoTime();
        for (int i = 0; i < STEPS; i++) {
            Bench.timeCommand(argv, null);
        }
        return (System.nanoTime() - t) / 1e9;
    }

    /** Sum of the 50 steps' own durations (history: from the job's start of the task to its end). */
    private static double insideSteps(BenchEngine e, String pi) {
        return e.engine.getHistoryService().createHistoricActivityInstanceQuery().processInstanceId(pi)
                .activityType("serviceTask").list().stream().mapToLong(a -> a.getDurationInMillis()).sum() / 1000.0;
    }

    /**
     * The parts of one step: the sshCommand delegate itself (timed around execute), the rest of the activity (start
     * listeners, variables, history), the engine between steps (a 50-step chain of no-op delegates in the same
     * engine), and outside the engine each part of the delegate on its own ({@link StepBreakdown}).
     */
    private void breakdown(SshConnections connections, io.opsflow.step.ssh.SshTarget target, OpenSshd sshd,
                           StepLogs logs, double delegateMs, double variablesMs, double insideMs, double noopStepMs,
                           double noopInsideMs) throws Exception {
        b.put("step_part_ms_delegate", delegateMs);
        b.put("step_part_ms_delegate_variables_fetch", variablesMs);
        b.put("step_part_ms_activity_around_delegate", insideMs - delegateMs);
        b.put("step_part_ms_noop_step_total", noopStepMs);
        b.put("step_part_ms_noop_step_inside", noopInsideMs);
        b.row("  per step: sshCommand delegate / rest of the activity", Bench.fmt(delegateMs, "ms"),
                Bench.fmt(insideMs - delegateMs, "ms"), "-", "-");
        b.row("  per step: of the delegate, fetching the run's variables", Bench.fmt(variablesMs, "ms"), "-", "-",
                "-");
        b.row("  per no-op step (same engine): total / inside", Bench.fmt(noopStepMs, "ms"),
                Bench.fmt(noopInsideMs, "ms"), "-", "-");
        Map<String, Double> parts = StepBreakdown.parts(b.quick ? 30 : 100, connections, target,
                sshd.knownHostsFile(), sshd.clientPrivateKey(), logs);
        for (Map.Entry<String, Double> p : parts.entrySet()) {
            b.put("step_part_ms_" + p.getKey(), p.getValue());
            b.row("  part: " + p.getKey(), Bench.fmt(p.getValue(), "ms"), "-", "-", "-");
        }
    }

    private static double runbook(BenchEngine e, Map<String, Object> vars, String[] started, String key)
            throws Exception {
        long t = System.nanoTime();
        String pi = e.engine.getRuntimeService().startProcessInstanceByKey(key, vars).getId();
        started[0] = pi;
        if (!e.awaitEnd(pi, Duration.ofMinutes(3))) {
            throw new IllegalStateException("the 50-step runbook " + key + " did not end within 3 minutes: "
                    + e.engine.getManagementService().createJobQuery().processInstanceId(pi).list());
        }
        double s = (System.nanoTime() - t) / 1e9;
        long incidents = e.engine.getHistoryService().createHistoricIncidentQuery().processInstanceId(pi).count();
        if (incidents > 0) {
            throw new IllegalStateException("the 50-step runbook had " + incidents + " incidents");
        }
        return s;
    }

    /** 20 parallel branches of sshCommand in one instance: wall time, or how far it got in 60 s. */
    private void parallel(BenchEngine e, Map<String, Object> vars) throws Exception {
        Duration limit = Duration.ofSeconds(b.quick ? 30 : 60);
        List<Double> times = new ArrayList<>();
        int reps = 1;
        for (int r = 0; r < reps; r++) {
            long t = System.nanoTime();
            String pi = e.engine.getRuntimeService().startProcessInstanceByKey("bench-ssh-parallel", vars).getId();
            boolean ended = e.awaitEnd(pi, limit);
            double s = (System.nanoTime() - t) / 1e9;
            long failures = e.engine.getHistoryService().createHistoricJobLogQuery().processInstanceId(pi)
                    .failureLog().count();
            b.put("parallel_20_branches_job_failures", failures);
            long done = e.engine.getHistoryService().createHistoricActivityInstanceQuery().processInstanceId(pi)
                    .activityType("serviceTask").finished().count();
            if (!ended) {
                b.put("parallel_20_branches_s", null);
                b.put("parallel_20_branches_done_in_limit", done);
                b.note("parallel_20_branches_s", "did not finish: " + done + " of " + BRANCHES + " branches done after "
                        + limit.toSeconds() + " s (optimistic-locking conflicts held for the lock time)");
                b.row("20 parallel ssh branches", "stalled (" + done + "/20 in " + limit.toSeconds() + " s)", "-",
                        "-", "completes");
                e.engine.getRuntimeService().deleteProcessInstance(pi, "bench: stalled");
                return;
            }
            times.add(s);
        }
        double m = Bench.median(times);
        b.put("parallel_20_branches_s", m);
        b.row("20 parallel ssh branches (one instance)", Bench.fmt(m, "s"), "-", "-", "completes");
    }
}
