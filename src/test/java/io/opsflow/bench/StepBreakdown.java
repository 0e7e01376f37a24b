package io.opsflow.bench;

import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.camunda.bpm.engine.delegate.JavaDelegate;

import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;
import io.opsflow.step.ssh.SshConnections;
import io.opsflow.step.ssh.SshSession;
import io.opsflow.step.ssh.SshStep;
import io.opsflow.step.ssh.SshTarget;
import net.schmizz.sshj.SSHClient;
import net.schmizz.sshj.connection.channel.direct.Session;

/**
 * Where the time of one remote step goes: each part of an {@code sshCommand} step timed on its own
 * ({@link System#nanoTime()}, {@code n} times in a row, median per operation, in ms), on the same sshd and engine as
 * the 50-step case. Keys {@code step_part_ms_*} in results.json.
 */
final class StepBreakdown {
    private StepBreakdown() {
    }

    interface Op {
        void run(int i) throws Exception;
    }

    /** Median milliseconds of {@code op} over {@code n} runs (after {@code n / 5} warm-up runs). */
    static double median(int n, Op op) throws Exception {
        for (int i = 0; i < Math.max(2, n / 5); i++) {
            op.run(-1 - i);
        }
        List<Double> xs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long t = System.nanoTime();
            op.run(i);
            xs.add((System.nanoTime() - t) / 1e6);
        }
        return Bench.median(xs);
    }

    /** Wraps a delegate and adds up the time spent in it (the delegate itself, without the engine around it). */
    static final class Timed implements JavaDelegate {
        final JavaDelegate inner;
        final AtomicLong nanos = new AtomicLong();
        final AtomicLong calls = new AtomicLong();

        Timed(JavaDelegate inner) {
            this.inner = inner;
        }

        final AtomicLong variableNanos = new AtomicLong();

        @Override
        public void execute(org.camunda.bpm.engine.delegate.DelegateExecution execution) throws Exception {
            long t = System.nanoTime();
            try {
                // the engine fetches all variables of the scope on the first read (then keeps them for the
                // command): timed on its own here, so the delegate's own reads find them loaded
                execution.getVariables();
                variableNanos.addAndGet(System.nanoTime() - t);
                inner.execute(execution);
            } finally {
                nanos.addAndGet(System.nanoTime() - t);
                calls.incrementAndGet();
            }
        }

        void reset() {
            nanos.set(0);
            variableNanos.set(0);
            calls.set(0);
        }

        double variablesMsPerCall() {
            return calls.get() == 0 ? Double.NaN : variableNanos.get() / 1e6 / calls.get();
        }

        double msPerCall() {
            return calls.get() == 0 ? Double.NaN : nanos.get() / 1e6 / calls.get();
        }
    }

    /** The parts of a remote step outside the engine. */
    static Map<String, Double> parts(int n, SshConnections connections, SshTarget target, Path knownHosts,
                                     Path clientKey, StepLogs logs) throws Exception {
        Map<String, Double> m = new LinkedHashMap<>();
        Duration t = Duration.ofSeconds(30);
        List<String> argv = List.of("true");
        m.put("pool_open_close", median(n, i -> connections.open(target).close()));
        m.put("known_hosts_parse", median(n, i -> new net.schmizz.sshj.transport.verification.OpenSSHKnownHosts(
                knownHosts.toFile())));
        try (SshSession s = connections.open(target)) {
            m.put("session_exec_true", median(n, i -> s.exec(argv, t, StepLogs.noop())));
        }
        m.put("ssh_step_run_true", median(n, i -> new SshStep(connections).run(target, argv, t, StepLogs.noop())));
        // the output pumps' own cost: two threads started and joined per command (before) against two tasks on
        // reused threads (now), side by side
        java.util.concurrent.ExecutorService reused = java.util.concurrent.Executors.newCachedThreadPool(r -> {
            Thread th = new Thread(r);
            th.setDaemon(true);
            return th;
        });
        for (int r = 0; r < 2; r++) {
            m.merge("two_new_threads_start_join", median(n * 5, i -> {
                Thread a = new Thread(() -> { });
                Thread b = new Thread(() -> { });
                a.start();
                b.start();
                a.join();
                b.join();
            }) / 2, Double::sum);
            m.merge("two_pooled_tasks_submit_get", median(n * 5, i -> {
                var a = reused.submit(() -> { });
                var b = reused.submit(() -> { });
                a.get();
                b.get();
            }) / 2, Double::sum);
        }
        reused.shutdown();
        raw(n, m, knownHosts, clientKey, target, false);
        raw(n, m, knownHosts, clientKey, target, true);
        logParts(n, m, "h2", logs, connections, target);
        // the application's database in production: the same on PostgreSQL (a fresh opsflow_bench database)
        EngineCases.freshDatabase();
        try (com.zaxxer.hikari.HikariDataSource pg = EngineCases.pg()) {
            StepLogs pgLogs = new StepLogs(pg, knownHosts.getParent().resolve("pg-logs").toString(),
                    Duration.ofSeconds(1));
            try {
                logParts(n, m, "pg", pgLogs, connections, target);
            } finally {
                pgLogs.destroy();
            }
        }
        return m;
    }

    /**
     * A step log opened, three lines, closed, back to back (the open's first write and the close's last one in a
     * row); and the step's own path: the same command run with that log against a log that writes nothing.
     */
    private static void logParts(int n, Map<String, Double> m, String db, StepLogs logs, SshConnections connections,
                                 SshTarget target) throws Exception {
        Duration t = Duration.ofSeconds(30);
        List<String> argv = List.of("true");
        m.put("step_log_open_3_lines_close_" + db, median(n, i -> {
            try (StepLog log = logs.open("bench-breakdown", "ai-" + (i + 1000) + "-" + System.nanoTime(),
                    "Task_X")) {
                log.line("step", "connecting to x");
                log.line("cmd", "$ ssh x true");
                log.line("cmd", "x: exit 0 after 1 ms");
            }
        }));
        SshStep step = new SshStep(connections);
        for (int r = 0; r < 2; r++) { // alternating, side by side
            m.merge("ssh_step_run_true_noop_log_" + db, median(n / 2, i -> step.run(target, argv, t,
                    StepLogs.noop())) / 2, Double::sum);
            m.merge("ssh_step_run_true_db_log_" + db, median(n / 2, i -> {
                try (StepLog log = logs.open("bench-breakdown", "ai-" + i + "-" + System.nanoTime(), "Task_X")) {
                    step.run(target, argv, t, log);
                }
            }) / 2, Double::sum);
        }
        logs.deleteRun("bench-breakdown");
    }

    /** The same command over raw SSHJ on one connection, phase by phase (the channel's round trips). */
    private static void raw(int n, Map<String, Double> m, Path knownHosts, Path clientKey, SshTarget target,
                            boolean noDelay) throws Exception {
        try (SSHClient c = new SSHClient()) {
            if (noDelay) {
                c.setSocketFactory(new javax.net.SocketFactory() {
                    @Override
                    public java.net.Socket createSocket() throws java.io.IOException {
                        java.net.Socket s = new java.net.Socket();
                        s.setTcpNoDelay(true);
                        return s;
                    }

                    @Override
                    public java.net.Socket createSocket(String h, int p) {
                        throw new UnsupportedOperationException();
                    }

                    @Override
                    public java.net.Socket createSocket(String h, int p, java.net.InetAddress l, int lp) {
                        throw new UnsupportedOperationException();
                    }

                    @Override
                    public java.net.Socket createSocket(java.net.InetAddress h, int p) {
                        throw new UnsupportedOperationException();
                    }

                    @Override
                    public java.net.Socket createSocket(java.net.InetAddress h, int p, java.net.InetAddress l,
                                                        int lp) {
                        throw new UnsupportedOperationException();
                    }
                });
            }
            c.loadKnownHosts(knownHosts.toFile());
            c.connect(target.host(), target.port());
            c.authPublickey(target.user(), c.loadKeys(clientKey.toString()));
            double[][] phases = new double[n][4];
            median(n, i -> {
                long a = System.nanoTime();
                Session session = c.startSession();
                long b = System.nanoTime();
                Session.Command cmd = session.exec("true");
                long d = System.nanoTime();
                try (InputStream in = cmd.getInputStream()) {
                    in.transferTo(java.io.OutputStream.nullOutputStream());
                }
                try (InputStream err = cmd.getErrorStream()) {
                    err.transferTo(java.io.OutputStream.nullOutputStream());
                }
                long e = System.nanoTime();
                cmd.join(10, TimeUnit.SECONDS);
                session.close();
                long f = System.nanoTime();
                if (i >= 0) {
                    phases[i] = new double[] {(b - a) / 1e6, (d - b) / 1e6, (e - d) / 1e6, (f - e) / 1e6};
                }
            });
            String[] names = {"channel_open", "exec_request", "output_to_eof", "exit_and_close"};
            for (int p = 0; p < 4; p++) {
                List<Double> xs = new ArrayList<>();
                for (double[] row : phases) {
                    xs.add(row[p]);
                }
                m.put((noDelay ? "raw_nodelay_" : "raw_") + names[p], Bench.median(xs));
            }
        }
    }
}
