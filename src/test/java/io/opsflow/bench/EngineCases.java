package io.opsflow.bench;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

import org.camunda.bpm.engine.RuntimeService;
import org.camunda.bpm.engine.delegate.JavaDelegate;

import com.zaxxer.hikari.HikariDataSource;

/**
 * Engine throughput: async no-op steps per second with the job lease on and off (H2), and on PostgreSQL with full
 * history runbook starts per second (in-process Java clients on several threads: the client is not the bottleneck)
 * and async steps per second.
 */
final class EngineCases {
    static final String PG_URL = "jdbc:postgresql://127.0.0.1:5432/";
    static final String PG_DB = "opsflow_bench";
    private static final Map<String, Object> BEANS = Map.of("noop", (JavaDelegate) x -> { });
    private final Bench b;

    EngineCases(Bench b) {
        this.b = b;
    }

    void leaseCost() throws Exception {
        int instances = b.quick ? 50 : 100;
        int reps = b.reps(3, 5);
        List<Double> on = new ArrayList<>();
        List<Double> off = new ArrayList<>();
        for (int r = 0; r < reps; r++) {
            // one engine alive at a time (two engines in one JVM measured 0.8 against each other with the same
            // settings), a fresh one per measurement, and the two sides alternate which goes first
            boolean first = r % 2 == 0;
            (first ? on : off).add(leaseRun(first, instances));
            (first ? off : on).add(leaseRun(!first, instances));
        }
        double a = Bench.median(on);
        double c = Bench.median(off);
        b.put("jobs_per_s_h2_lease_on", a);
        b.put("jobs_per_s_h2_lease_off", c);
        b.compare("lease_cost_h2", "async steps/s on H2, lease on vs off", a / c, a, c, "/s", ">= 0.95");
    }

    private static double leaseRun(boolean lease, int instances) throws Exception {
        boolean sameOnBothSides = Boolean.getBoolean("opsflow.bench.lease-a-a"); // check of the method: both off
        try (BenchEngine e = BenchEngine.build(BenchEngine.h2(), lease && !sameOnBothSides, BEANS)) {
            e.startJobExecutor();
            jobsPerSecond(e, 20); // warm-up
            return jobsPerSecond(e, instances);
        }
    }

    /**
     * Starts {@code instances} runs of a 10-async-step chain on a running job executor and times it through all their
     * jobs (the starts are part of the time: they take a few per cent of it).
     */
    static double jobsPerSecond(BenchEngine e, int instances) throws Exception {
        RuntimeService rt = e.engine.getRuntimeService();
        long t = System.nanoTime();
        for (int i = 0; i < instances; i++) {
            rt.startProcessInstanceByKey("bench-async");
        }
        if (!e.awaitNoJobs(Duration.ofMinutes(3))) {
            throw new IllegalStateException("jobs left after 3 minutes: "
                    + e.engine.getManagementService().createJobQuery().count());
        }
        return 10.0 * instances / ((System.nanoTime() - t) / 1e9);
    }

    void postgres() throws Exception {
        int reps = b.reps(1, 3);
        List<Double> starts = new ArrayList<>();
        List<Double> jobs = new ArrayList<>();
        List<Double> bare = new ArrayList<>();
        for (int r = 0; r < reps; r++) {
            freshDatabase();
            try (BenchEngine e = BenchEngine.build(pg(), false, BEANS, false)) {
                startsPerSecond(e, 1.0); // warm-up
                bare.add(startsPerSecond(e, b.quick ? 4.0 : 6.0));
            }
            freshDatabase();
            try (BenchEngine e = BenchEngine.build(pg(), true, BEANS)) {
                startsPerSecond(e, 1.0); // warm-up
                starts.add(startsPerSecond(e, b.quick ? 4.0 : 6.0));
                e.startJobExecutor();
                jobsPerSecond(e, 10); // warm-up
                jobs.add(jobsPerSecond(e, b.quick ? 50 : 100));
            }
        }
        double s = Bench.median(starts);
        double j = Bench.median(jobs);
        double x = Bench.median(bare);
        b.put("starts_per_s_pg", s);
        b.put("starts_per_s_pg_bare_engine", x);
        b.put("jobs_per_s_pg", j);
        b.row("no-op runbook starts/s, PostgreSQL, history full (vs bare engine)", Bench.fmt(s, "/s"),
                Bench.fmt(x, "/s"), Bench.ratio(s / x), ">= 300/s");
        b.row("async steps/s, PostgreSQL, history full, lease on", Bench.fmt(j, "/s"), "-", "-", "(record)");
    }

    /** Starts no-op runbooks from 8 client threads for {@code seconds}; returns starts per second. */
    static double startsPerSecond(BenchEngine e, double seconds) throws Exception {
        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        AtomicLong count = new AtomicLong();
        long end = System.nanoTime() + (long) (seconds * 1e9);
        long t = System.nanoTime();
        List<Future<?>> fs = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            fs.add(pool.submit(() -> {
                while (System.nanoTime() < end) {
                    e.engine.getRuntimeService().startProcessInstanceByKey("bench-noop");
                    count.incrementAndGet();
                }
                return null;
            }));
        }
        for (Future<?> f : fs) {
            f.get();
        }
        pool.shutdown();
        return count.get() / ((System.nanoTime() - t) / 1e9);
    }

    static HikariDataSource pg() {
        return BenchEngine.pool(PG_URL + PG_DB, "postgres", "", "org.postgresql.Driver");
    }

    static void freshDatabase() throws Exception {
        try (Connection c = DriverManager.getConnection(PG_URL + "postgres", "postgres", "");
             Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + PG_DB + " WITH (FORCE)");
            s.execute("CREATE DATABASE " + PG_DB);
        }
    }
}
