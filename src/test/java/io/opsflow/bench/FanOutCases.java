package io.opsflow.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.opsflow.sandbox.SandboxHost;
import io.opsflow.step.exec.StepLogs;
import io.opsflow.step.ssh.FanOutResult;
import io.opsflow.step.ssh.SshConnections;
import io.opsflow.step.ssh.SshFanOut;
import io.opsflow.step.ssh.SshSession;
import io.opsflow.step.ssh.SshTarget;

/**
 * One command ({@code true}) on N sandbox hosts (in-process Apache MINA sshd, as the sandbox fleet runs them):
 * opsflow's fan-out ({@link SshFanOut}, parallelism N) against {@code ansible all -f N -m raw} on the same
 * inventory and against a bash loop of parallel {@code ssh … &} with SSHJ's key exchange; and against the slowest
 * single host's time for the same command alone. Plus the curve over 5, 20, 50 and 100 hosts.
 */
final class FanOutCases {
    private static final Duration T = Duration.ofMinutes(2);
    private static final String USER = "opsflow";
    private final Bench b;

    FanOutCases(Bench b) {
        this.b = b;
    }

    void run() throws Exception {
        int max = 100;
        Path dir = Files.createTempDirectory(b.work, "fleet");
        Path key = dir.resolve("id_ed25519");
        Bench.timeCommand(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "bench", "-f",
                key.toString()), null);
        String pub = Files.readString(dir.resolve("id_ed25519.pub"));
        List<SandboxHost> hosts = new ArrayList<>();
        StringBuilder knownHosts = new StringBuilder();
        try {
            for (int i = 0; i < max; i++) {
                SandboxHost h = new SandboxHost("bench-" + i, dir.resolve("hosts/h" + i), dir.resolve("keys/h" + i),
                        USER);
                h.prepare(pub);
                h.start(0);
                hosts.add(h);
                knownHosts.append(h.knownHostsLine()).append('\n');
            }
            Path kh = dir.resolve("known_hosts");
            Files.writeString(kh, knownHosts);
            List<SshTarget> targets = hosts.stream().map(h -> new SshTarget("127.0.0.1", h.port(), USER,
                    "file:" + key, null, kh, List.of())).toList();
            fan(targets.subList(0, 5)); // warm-up
            int reps = b.reps(2, 5);

            // 50 hosts: opsflow vs ansible raw vs parallel ssh, and the slowest host alone
            int n = 50;
            List<SshTarget> fifty = targets.subList(0, n);
            Path inventory = inventory(dir, hosts.subList(0, n), key, kh);
            String loop = parallelSsh(dir, hosts.subList(0, n), key, kh);
            List<Double> ops = new ArrayList<>();
            List<Double> ans = new ArrayList<>();
            List<Double> par = new ArrayList<>();
            List<Double> warm = new ArrayList<>();
            List<Double> hostMedian = new ArrayList<>();
            List<Double> hostMax = new ArrayList<>();
            for (int r = 0; r < reps; r++) {
                ops.add(fan(fifty));
                hostMedian.add(lastHostMedianMs);
                hostMax.add(lastHostMaxMs);
                ans.add(ansible(dir, inventory, n, r));
                par.add(Bench.timeCommand(List.of("bash", loop), null));
            }
            try (SshConnections pool = new SshConnections(Duration.ofSeconds(30))) {
                SshFanOut fanOut = new SshFanOut(pool);
                fan(fanOut, fifty); // connects every host
                for (int r = 0; r < reps; r++) {
                    warm.add(fan(fanOut, fifty));
                }
            }
            double slowest = slowestAlone(fifty);
            // does the fan-out queue hosts behind each other, or is every host slow at once (shared CPU)?
            b.put("fanout_part_ms_host_median_in_50", Bench.median(hostMedian));
            b.put("fanout_part_ms_host_max_in_50", Bench.median(hostMax));
            b.row("  per host inside the 50-host fan-out: median / slowest", Bench.fmt(Bench.median(hostMedian),
                    "ms"), Bench.fmt(Bench.median(hostMax), "ms"), "-", "-");
            double kh100 = StepBreakdown.median(20, i -> new net.schmizz.sshj.transport.verification
                    .OpenSSHKnownHosts(kh.toFile()));
            b.put("fanout_part_ms_known_hosts_parse_100_hosts", kh100);
            b.row("  known_hosts parse (100 hosts), once per session", Bench.fmt(kh100, "ms"), "-", "-", "-");
            double o = Bench.median(ops);
            double a = Bench.median(ans);
            double p = Bench.median(par);
            double w = Bench.median(warm);
            b.put("fanout_50_opsflow_s", o);
            b.put("fanout_50_opsflow_pooled_s", w);
            b.put("fanout_50_ansible_raw_s", a);
            b.put("fanout_50_parallel_ssh_s", p);
            b.put("fanout_50_slowest_host_alone_s", slowest);
            b.compare("fanout_ansible_over_opsflow", "fan-out 50 hosts: ansible -m raw over opsflow", a / o, o, a, "s",
                    ">= 3.0");
            b.compare("fanout_vs_parallel_ssh", "fan-out 50 hosts vs parallel ssh &", o / p, o, p, "s", "<= 1.2");
            b.compare("fanout_over_slowest_host", "fan-out 50 hosts vs slowest host alone", o / slowest, o, slowest,
                    "s", "<= 1.5");
            b.compare("fanout_pooled_over_new", "fan-out 50 hosts, connections pooled vs new", w / o, w, o, "s",
                    "(record)");

            Map<String, Object> curve = new LinkedHashMap<>();
            for (int size : new int[] {5, 20, 50, 100}) {
                List<Double> xs = new ArrayList<>();
                for (int r = 0; r < reps; r++) {
                    xs.add(fan(targets.subList(0, size)));
                }
                double m = Bench.median(xs);
                curve.put(String.valueOf(size), Bench.round(m));
                b.row("fan-out curve: " + size + " hosts", Bench.fmt(m, "s"), "-",
                        String.format("%.1f ms/host", m * 1000 / size), "-");
            }
            b.put("fanout_curve_s", curve);
        } finally {
            for (SandboxHost h : hosts) {
                h.close();
            }
        }
    }

    /** A fan-out with a new connection pool: every host connects, verifies and authenticates, as the baselines do. */
    private static double fan(List<SshTarget> targets) {
        try (SshConnections pool = new SshConnections(Duration.ofSeconds(30))) {
            return fan(new SshFanOut(pool), targets);
        }
    }

    private static double lastHostMedianMs;
    private static double lastHostMaxMs;

    private static double fan(SshFanOut fanOut, List<SshTarget> targets) {
        long t = System.nanoTime();
        FanOutResult<Integer> r = fanOut.forEach(targets, targets.size(),
                s -> s.execChecked(List.of("true"), T, StepLogs.noop()).exitCode());
        double s = (System.nanoTime() - t) / 1e9;
        List<Double> hosts = r.outcomes().stream().map(o -> o.duration().toNanos() / 1e6).toList();
        lastHostMedianMs = Bench.median(hosts);
        lastHostMaxMs = hosts.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
        if (!r.allSucceeded()) {
            throw new IllegalStateException("fan-out failed: " + r.failureSummary());
        }
        return s;
    }

    /** The time of the slowest host when each host runs the command alone (connect, authenticate, run). */
    private static double slowestAlone(List<SshTarget> targets) {
        SshConnections connections = new SshConnections(Duration.ofSeconds(30));
        double max = 0;
        for (SshTarget t : targets) {
            long s = System.nanoTime();
            try (SshSession session = connections.openDedicated(t)) {
                session.execChecked(List.of("true"), T, StepLogs.noop());
            }
            max = Math.max(max, (System.nanoTime() - s) / 1e9);
        }
        return max;
    }

    private static Path inventory(Path dir, List<SandboxHost> hosts, Path key, Path kh) throws Exception {
        StringBuilder sb = new StringBuilder("[fleet]\n");
        for (SandboxHost h : hosts) {
            sb.append(h.name()).append(" ansible_host=127.0.0.1 ansible_port=").append(h.port()).append('\n');
        }
        sb.append("\n[fleet:vars]\nansible_user=").append(USER).append("\nansible_ssh_private_key_file=").append(key)
                .append("\nansible_ssh_common_args='-F /dev/null -o UserKnownHostsFile=").append(kh)
                .append(" -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes'\n");
        Path p = dir.resolve("inventory.ini");
        Files.writeString(p, sb);
        return p;
    }

    private static double ansible(Path dir, Path inventory, int forks, int rep) throws Exception {
        Path cp = Files.createTempDirectory("obcp");
        Path cfg = dir.resolve("ansible.cfg");
        if (!Files.exists(cfg)) {
            Files.writeString(cfg, "[defaults]\nhost_key_checking = True\n");
        }
        Map<String, String> env = Map.of("ANSIBLE_HOST_KEY_CHECKING", "True", "ANSIBLE_SSH_CONTROL_PATH_DIR",
                cp.toString(), "ANSIBLE_LOCAL_TEMP", dir.resolve("ansible-tmp").toString(), "ANSIBLE_NOCOLOR", "1",
                "ANSIBLE_CONFIG", cfg.toString());
        double s = Bench.timeCommand(List.of("ansible", "all", "-i", inventory.toString(), "-f",
                String.valueOf(forks), "-m", "raw", "-a", "true"), env);
        Bench.deleteTree(cp);
        return s;
    }

    /** A bash script starting one {@code ssh … true &} per host and waiting for all. */
    private static String parallelSsh(Path dir, List<SandboxHost> hosts, Path key, Path kh) throws Exception {
        StringBuilder sb = new StringBuilder("#!/bin/bash\nset -euo pipefail\npids=()\n");
        for (SandboxHost h : hosts) {
            sb.append("ssh -F /dev/null -i ").append(key).append(" -p ").append(h.port())
                    .append(" -o UserKnownHostsFile=").append(kh)
                    .append(" -o StrictHostKeyChecking=yes -o BatchMode=yes -o IdentitiesOnly=yes -o LogLevel=ERROR")
                    .append(" -o ControlMaster=no -o ControlPath=none -o KexAlgorithms=curve25519-sha256 ")
                    .append(USER).append("@127.0.0.1 true &\npids+=($!)\n");
        }
        sb.append("for p in \"${pids[@]}\"; do wait \"$p\"; done\n");
        Path p = dir.resolve("parallel-ssh.sh");
        Files.writeString(p, sb);
        return p.toString();
    }
}
