package io.opsflow.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Startup to the first HTTP answer and resident memory after start: the opsflow jar (default sandbox mode: H2 file
 * database, sandbox fleet) against a bare Camunda 7.24 Spring Boot starter of the same Boot version with the same
 * engine settings and the same kind of database (bench/bare-starter, built by bench/run). Every start gets a fresh
 * data directory, so both create their schema.
 */
final class StartupCases {
    private static final Duration LIMIT = Duration.ofSeconds(120);
    private final Bench b;

    StartupCases(Bench b) {
        this.b = b;
    }

    record Start(double seconds, double rssMb) {
    }

    void run() throws Exception {
        Path jar = Path.of(b.options.getOrDefault("jar", "target/opsflow-0.1.0-SNAPSHOT.jar"));
        Path bare = Path.of(b.options.getOrDefault("bare-jar",
                "bench/bare-starter/target/bare-starter-0.0.0.jar"));
        for (Path p : List.of(jar, bare)) {
            if (!Files.isRegularFile(p)) {
                throw new IllegalStateException(p + " is missing: bench/run builds it");
            }
        }
        int reps = b.reps(1, 2); // a start takes 15-60 s on a loaded 2-core machine
        Medians plain = alternate(reps, () -> opsflow(jar), () -> bare(bare));
        put("", plain);
        b.compare("startup_ratio", "startup to first HTTP answer vs bare Camunda starter",
                plain.opsflowSeconds / plain.bareSeconds, plain.opsflowSeconds, plain.bareSeconds, "s", "<= 1.2");
        b.compare("rss_ratio", "resident memory after start vs bare Camunda starter",
                plain.opsflowRssMb / plain.bareRssMb, plain.opsflowRssMb, plain.bareRssMb, "MB", "<= 1.2");
        if (Boolean.parseBoolean(b.options.getOrDefault("cds", String.valueOf(!b.quick)))) {
            withCds(jar, bare, reps);
        }
    }

    /**
     * Both applications again, each from a class data sharing archive of its own that ops/cds-archive builds (the
     * start an operator gets with it): extra keys beside the plain-jar ones, which keep their meaning. On by default,
     * off with {@code --quick} (the two training runs take a minute): {@code --cds=true|false} says otherwise.
     */
    private void withCds(Path jar, Path bare, int reps) throws Exception {
        Cds o = archive(jar, "opsflow");
        Cds x = archive(bare, "bare", "--server.port=0", "--bench.data-dir=" + b.work.resolve("cds-bare-training"));
        Medians cds = alternate(reps, () -> opsflow(o.jar, o.jvmOption), () -> bare(x.jar, x.jvmOption));
        put("_cds", cds);
        b.put("cds_training_s_opsflow", o.trainingSeconds);
        b.compare("startup_ratio_cds", "startup, both from a CDS archive (ops/cds-archive)",
                cds.opsflowSeconds / cds.bareSeconds, cds.opsflowSeconds, cds.bareSeconds, "s", "(record)");
    }

    record Medians(double opsflowSeconds, double bareSeconds, double opsflowRssMb, double bareRssMb) {
    }

    /** startup_s_opsflow{suffix}, startup_s_bare_camunda{suffix}, rss_mb_opsflow{suffix}, rss_mb_bare_camunda{suffix}. */
    private void put(String suffix, Medians m) {
        b.put("startup_s_opsflow" + suffix, m.opsflowSeconds);
        b.put("startup_s_bare_camunda" + suffix, m.bareSeconds);
        b.put("rss_mb_opsflow" + suffix, m.opsflowRssMb);
        b.put("rss_mb_bare_camunda" + suffix, m.bareRssMb);
    }

    /** {@code reps} starts of each application, opsflow and bare in turn; the medians. */
    private static Medians alternate(int reps, java.util.concurrent.Callable<Start> opsflow,
                                     java.util.concurrent.Callable<Start> bare) throws Exception {
        List<Double> os = new ArrayList<>();
        List<Double> xs = new ArrayList<>();
        List<Double> om = new ArrayList<>();
        List<Double> xm = new ArrayList<>();
        for (int r = 0; r < reps; r++) {
            Start s = opsflow.call();
            Start t = bare.call();
            os.add(s.seconds);
            om.add(s.rssMb);
            xs.add(t.seconds);
            xm.add(t.rssMb);
        }
        return new Medians(Bench.median(os), Bench.median(xs), Bench.median(om), Bench.median(xm));
    }

    record Cds(Path jar, String jvmOption, double trainingSeconds) {
    }

    /** Runs ops/cds-archive for {@code jar} into the bench's work directory. */
    private Cds archive(Path jar, String name, String... trainingArgs) throws Exception {
        Path dir = b.work.resolve("cds-" + name);
        List<String> cmd = new ArrayList<>(List.of("ops/cds-archive", "--jar=" + jar.toAbsolutePath(), "--dir=" + dir));
        if (trainingArgs.length > 0) {
            cmd.add("--");
            cmd.addAll(List.of(trainingArgs));
        }
        long t = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).strip();
        if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IllegalStateException("ops/cds-archive for " + jar + " failed: " + out);
        }
        String file = jar.getFileName().toString();
        Path archive = dir.resolve(file.substring(0, file.length() - ".jar".length()) + ".jsa");
        return new Cds(dir.resolve(file), "-XX:SharedArchiveFile=" + archive, (System.nanoTime() - t) / 1e9);
    }

    private Start opsflow(Path jar, String... jvmOptions) throws Exception {
        Path dir = Files.createTempDirectory(b.work, "opsflow");
        int port = freePort();
        ProcessBuilder pb = new ProcessBuilder(command(jar, jvmOptions));
        pb.environment().put("OPSFLOW_VAR_DIR", dir.toString());
        pb.environment().put("OPSFLOW_PORT", String.valueOf(port));
        return measure(pb, port, dir);
    }

    private Start bare(Path jar, String... jvmOptions) throws Exception {
        Path dir = Files.createTempDirectory(b.work, "bare");
        int port = freePort();
        List<String> cmd = command(jar, jvmOptions);
        cmd.addAll(List.of("--server.port=" + port, "--bench.data-dir=" + dir));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        return measure(pb, port, dir);
    }

    private static List<String> command(Path jar, String... jvmOptions) {
        List<String> cmd = new ArrayList<>(List.of("java"));
        cmd.addAll(List.of(jvmOptions));
        cmd.addAll(List.of("-jar", jar.toAbsolutePath().toString()));
        return cmd;
    }

    private static Start measure(ProcessBuilder pb, int port, Path dir) throws Exception {
        pb.redirectErrorStream(true).redirectOutput(dir.resolve("app.log").toFile());
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                .timeout(Duration.ofSeconds(5)).GET().build();
        long t = System.nanoTime();
        Process p = pb.start();
        try {
            long deadline = t + LIMIT.toNanos();
            while (true) {
                if (!p.isAlive()) {
                    throw new IllegalStateException("application exited with " + p.exitValue() + "; log: "
                            + tail(dir.resolve("app.log")));
                }
                try {
                    http.send(req, HttpResponse.BodyHandlers.discarding());
                    break;
                } catch (IOException e) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("no HTTP answer within " + LIMIT + "; log: "
                                + tail(dir.resolve("app.log")));
                    }
                    Thread.sleep(25);
                }
            }
            double seconds = (System.nanoTime() - t) / 1e9;
            Thread.sleep(2000); // settle: what starts right after the first answer
            double rss = rssMb(p.pid());
            return new Start(seconds, rss);
        } finally {
            p.destroy();
            if (!p.waitFor(8, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    static double rssMb(long pid) throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (l.startsWith("VmRSS:")) {
                return Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024.0;
            }
        }
        throw new IllegalStateException("no VmRSS for " + pid);
    }

    static int freePort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static String tail(Path log) {
        try {
            String s = Files.readString(log);
            return s.length() > 3000 ? s.substring(s.length() - 3000) : s;
        } catch (IOException e) {
            return "(no log)";
        }
    }
}
