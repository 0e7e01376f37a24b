package io.opsflow.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

/**
 * The opsflow benchmark (run by {@code bench/run}, documented in docs/BENCHMARKS.md). Every case measures opsflow and
 * its baseline side by side in the same run, several repetitions each, and keeps medians. Not a test: nothing here
 * runs in {@code ./mvnw verify} (the class names match neither the surefire nor the failsafe patterns).
 *
 * <p>Arguments: {@code --quick} (fewer repetitions and sizes), {@code --only=a,b} (cases: ssh, fanout, lease, pg,
 * startup, release), {@code --out=PATH} (results JSON, default target/bench/results.json), {@code --jar=PATH} and
 * {@code --bare-jar=PATH} (the two applications for the startup case), {@code --cds=true|false} (the startup case's
 * class-data-sharing starts; default: on, off with --quick).
 */
public final class Bench {
    final boolean quick;
    final Path work;
    final Map<String, String> options;
    private final Map<String, Object> results = new LinkedHashMap<>();
    private final Map<String, String> notes = new LinkedHashMap<>();
    private final List<String[]> rows = new ArrayList<>();

    Bench(boolean quick, Path work, Map<String, String> options) {
        this.quick = quick;
        this.work = work;
        this.options = options;
    }

    public static void main(String[] args) throws Exception {
        boolean quick = false;
        Map<String, String> options = new LinkedHashMap<>();
        for (String a : args) {
            if (a.equals("--quick")) {
                quick = true;
            } else if (a.startsWith("--") && a.contains("=")) {
                options.put(a.substring(2, a.indexOf('=')), a.substring(a.indexOf('=') + 1));
            } else {
                throw new IllegalArgumentException("unknown argument " + a + " (--quick, --only=, --out=, --jar=,"
                        + " --bare-jar=, --cds=)");
            }
        }
        Path out = Path.of(options.getOrDefault("out", "target/bench/results.json"));
        Files.createDirectories(out.toAbsolutePath().getParent());
        Path work = Files.createTempDirectory("opsflow-bench-");
        Bench b = new Bench(quick, work, options);
        Set<String> only = options.containsKey("only") ? Set.of(options.get("only").split(",")) : null;
        long t0 = System.nanoTime();
        b.results.put("machine", machine());
        b.results.put("date", Instant.now().toString());
        b.results.put("mode", quick ? "quick" : "full");
        b.runCase(only, "ssh", () -> new SshCases(b).run());
        b.runCase(only, "fanout", () -> new FanOutCases(b).run());
        b.runCase(only, "lease", () -> new EngineCases(b).leaseCost());
        b.runCase(only, "pg", () -> new EngineCases(b).postgres());
        b.runCase(only, "startup", () -> new StartupCases(b).run());
        b.runCase(only, "release", () -> new ReleaseCase(b).run());
        b.results.put("notes", b.notes);
        b.results.put("bench_seconds", Math.round((System.nanoTime() - t0) / 1e8) / 10.0);
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        Files.writeString(out, json.writeValueAsString(b.results) + "\n");
        b.printTable();
        System.out.println("results: " + out.toAbsolutePath());
        deleteTree(work);
        System.exit(0); // engines and servers leave non-daemon threads behind
    }

    interface Case {
        void run() throws Exception;
    }

    private void runCase(Set<String> only, String name, Case c) {
        if (only != null && !only.contains(name)) {
            return;
        }
        long t = System.nanoTime();
        System.out.println("== " + name);
        try {
            c.run();
        } catch (Throwable e) {
            e.printStackTrace(System.out);
            notes.put(name, "case failed: " + e);
        }
        System.out.printf("== %s done in %.1f s%n", name, (System.nanoTime() - t) / 1e9);
    }

    /** Records a result key (null allowed: then {@code why} says why). */
    void put(String key, Object value) {
        results.put(key, value instanceof Double d ? round(d) : value);
    }

    /** Records a ratio under {@code key} and prints its row: opsflow's and the baseline's figure, ratio, goal. */
    void compare(String key, String what, double ratio, double opsflow, double baseline, String unit, String goal) {
        put(key, ratio);
        row(what, fmt(opsflow, unit), fmt(baseline, unit), ratio(ratio), goal);
    }

    void note(String key, String why) {
        notes.put(key, why);
    }

    /** A line of the printed table. */
    void row(String what, String opsflow, String baseline, String ratio, String goal) {
        rows.add(new String[] {what, opsflow, baseline, ratio, goal});
        System.out.printf("   %s: %s vs %s -> %s (goal %s)%n", what, opsflow, baseline, ratio, goal);
    }

    int reps(int quickReps, int fullReps) {
        return quick ? quickReps : fullReps;
    }

    static double round(double d) {
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            return d;
        }
        double scale = Math.abs(d) >= 100 ? 10 : Math.abs(d) >= 1 ? 1000 : 10000;
        return Math.round(d * scale) / scale;
    }

    static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        int n = s.size();
        if (n == 0) {
            return Double.NaN;
        }
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    static String fmt(double d, String unit) {
        return String.format("%.3g %s", d, unit).strip();
    }

    static String ratio(double d) {
        return String.format("%.2f", d);
    }

    private void printTable() {
        String[] head = {"case", "opsflow", "baseline", "ratio", "goal"};
        int[] w = new int[head.length];
        List<String[]> all = new ArrayList<>();
        all.add(head);
        all.addAll(rows);
        for (String[] r : all) {
            for (int i = 0; i < r.length; i++) {
                w[i] = Math.max(w[i], r[i] == null ? 4 : r[i].length());
            }
        }
        System.out.println();
        for (String[] r : all) {
            StringBuilder sb = new StringBuilder("| ");
            for (int i = 0; i < r.length; i++) {
                sb.append(String.format("%-" + w[i] + "s", r[i] == null ? "null" : r[i])).append(" | ");
            }
            System.out.println(sb.toString().stripTrailing());
            if (r == head) {
                StringBuilder sep = new StringBuilder("|");
                for (int x : w) {
                    sep.append("-".repeat(x + 2)).append('|');
                }
                System.out.println(sep);
            }
        }
        if (!notes.isEmpty()) {
            System.out.println();
            notes.forEach((k, v) -> System.out.println("note " + k + ": " + v));
        }
    }

    private static Map<String, Object> machine() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cpus", Runtime.getRuntime().availableProcessors());
        m.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        try {
            String cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .filter(l -> l.startsWith("model name")).findFirst().map(l -> l.replaceFirst(".*:\\s*", ""))
                    .orElse("?");
            m.put("cpu", cpu);
        } catch (IOException e) {
            m.put("cpu", "?");
        }
        return m;
    }

    /** Runs a command to its end, returns its wall time in seconds; fails on a non-zero exit. */
    static double timeCommand(List<String> argv, Map<String, String> env) throws IOException, InterruptedException {
        long t = System.nanoTime();
        Proc r = exec(argv, env, 600);
        double s = (System.nanoTime() - t) / 1e9;
        if (r.exit != 0) {
            throw new IllegalStateException("command failed (exit " + r.exit + "): " + argv + "\n" + r.output);
        }
        return s;
    }

    record Proc(int exit, String output) {
    }

    static Proc exec(List<String> argv, Map<String, String> env, int timeoutSeconds)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true).redirectInput(
                ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        if (env != null) {
            pb.environment().putAll(env);
        }
        Process p = pb.start();
        byte[] out;
        try (InputStream in = p.getInputStream()) {
            out = in.readAllBytes();
        }
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("timed out: " + argv);
        }
        return new Proc(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    static void deleteTree(Path p) {
        try (var s = Files.walk(p)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException ignored) {
            // temporary files only
        }
    }
}
