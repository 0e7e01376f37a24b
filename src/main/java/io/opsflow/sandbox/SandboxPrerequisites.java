package io.opsflow.sandbox;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.opsflow.platform.tools.Tool;
import io.opsflow.platform.tools.Tools;
import io.opsflow.step.exec.CommandResult;
import io.opsflow.step.exec.CommandRunner;
import io.opsflow.step.exec.CommandSpec;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/**
 * What the sandbox and its runbooks need on this machine, checked before the fleet starts, so that on a fresh machine
 * the README's one command ({@code ./mvnw spring-boot:run}) is all the set-up.
 * <p>
 * Two kinds of prerequisites: <b>required</b> — without them the README's first release cannot succeed (the workers'
 * {@code python3} and {@code curl} on the hosts, {@code ansible-playbook} for deploy-application) — and
 * <b>optional</b> — a runbook that needs them is refused at start with 409 naming the tool (TLS edges for
 * renew-certificates: nginx, certbot, pebble, openssl; database clients for backup/restore of the sandbox's
 * databases). With {@code opsflow.sandbox.install-tools=auto} (the default) and root with {@code apt-get}, everything
 * missing is installed in one {@code apt-get install} (after one {@code apt-get update}); otherwise the application
 * stops before starting when a required tool is missing, with the exact install line, and warns about optional ones.
 * Host-side tools are looked up on the hosts' PATH ({@code opsflow.sandbox.host-path}, what an SSH login gets), the
 * others on opsflow's own PATH.
 */
public final class SandboxPrerequisites {
    private static final Logger LOG = LoggerFactory.getLogger(SandboxPrerequisites.class);

    /** One thing the sandbox needs: the tool, the Debian package that has it, why, and where it is looked up. */
    public record Prerequisite(Tool tool, String debianPackage, String why, boolean onHosts, boolean required) {
        static Prerequisite host(String command, String pkg, String why, boolean required) {
            return new Prerequisite(new Tool(command, List.of(command), "apt-get install -y " + pkg), pkg, why, true,
                    required);
        }

        static Prerequisite local(Tool tool, String pkg, String why, boolean required) {
            return new Prerequisite(tool, pkg, why, false, required);
        }
    }

    public static final List<Prerequisite> DEFAULT = List.of(
            Prerequisite.host("python3", "python3", "the workers' load balancer calls on every host", true),
            Prerequisite.host("curl", "curl", "the workers' health probes and artifact downloads", true),
            Prerequisite.local(Tool.ANSIBLE_PLAYBOOK, "ansible-core", "deploy-application and provision", true),
            Prerequisite.local(Tool.NGINX, "nginx", "renew-certificates: the sandbox's TLS edges", false),
            Prerequisite.local(Tool.CERTBOT, "certbot", "renew-certificates", false),
            Prerequisite.local(Tool.of("pebble", "apt-get install -y pebble"), "pebble",
                    "renew-certificates: the local ACME server", false),
            Prerequisite.local(Tool.of("openssl", "apt-get install -y openssl"), "openssl",
                    "renew-certificates: the local ACME server's key", false),
            Prerequisite.host("pg_dump", "postgresql-client", "backup/restore of PostgreSQL databases", false),
            Prerequisite.host("mysqldump", "mariadb-client", "backup/restore of MariaDB databases", false));

    /** {@code opsflow.sandbox.install-tools}. */
    public enum InstallMode { AUTO, NEVER }

    private final List<Prerequisite> prerequisites;
    private final Tools localTools;
    private final Tools hostTools;
    private final CommandRunner runner;
    private final InstallMode mode;
    private final BooleanSupplier root;

    public SandboxPrerequisites(List<Prerequisite> prerequisites, Tools localTools, Tools hostTools,
                                CommandRunner runner, InstallMode mode, BooleanSupplier root) {
        this.prerequisites = List.copyOf(prerequisites);
        this.localTools = localTools;
        this.hostTools = hostTools;
        this.runner = runner;
        this.mode = mode;
        this.root = root;
    }

    /** Whether this JVM runs as root (uid 0). */
    public static boolean runningAsRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** What is missing now. */
    public List<Prerequisite> missing() {
        List<Prerequisite> out = new ArrayList<>();
        for (Prerequisite p : prerequisites) {
            Tools where = p.onHosts() ? hostTools : localTools;
            if (where.locate(p.tool()).isEmpty()) {
                out.add(p);
            }
        }
        return out;
    }

    /**
     * Installs what is missing where that is possible, then fails (with the exact install line) if a required tool is
     * still missing; warns about optional ones.
     */
    public void ensure() {
        List<Prerequisite> missing = missing();
        if (missing.isEmpty()) {
            return;
        }
        String line = installLine(missing);
        String installFailure = null;
        if (mode == InstallMode.AUTO && root.getAsBoolean() && localTools.locate(APT_GET).isPresent()) {
            LOG.warn("sandbox: installing what is missing on this machine: {} (once; takes a minute)", describe(missing));
            installFailure = install(missing);
            missing = missing();
            line = installLine(missing);
        }
        List<Prerequisite> required = missing.stream().filter(Prerequisite::required).toList();
        for (Prerequisite p : missing) {
            if (!p.required()) {
                LOG.warn("!!!!! sandbox: {} is not installed — {} will be refused at start (409) until you run: {}",
                        p.tool().name(), p.why(), "apt-get install -y " + p.debianPackage());
            }
        }
        if (!required.isEmpty()) {
            StringBuilder msg = new StringBuilder("The sandbox cannot start: ")
                    .append(describe(required)).append(" not installed. Install ")
                    .append(missing.size() == required.size() ? "it" : "everything the sandbox uses")
                    .append(" with:\n\n    ").append(root.getAsBoolean() ? "" : "sudo ").append(line)
                    .append("\n\nthen start again.");
            if (installFailure != null) {
                msg.append(" (opsflow tried: ").append(installFailure).append(')');
            } else if (mode == InstallMode.NEVER) {
                msg.append(" (opsflow.sandbox.install-tools=never: opsflow installs nothing itself)");
            } else if (!root.getAsBoolean()) {
                msg.append(" (opsflow installs missing tools itself only when it runs as root with apt-get)");
            }
            throw new IllegalStateException(msg.toString());
        }
    }

    static final Tool APT_GET = Tool.of("apt-get", "");

    /** Runs apt-get update and install; returns null on success, else what failed (tail of apt's output). */
    private String install(List<Prerequisite> missing) {
        StepLog log = StepLogs.noop();
        Set<String> packages = new LinkedHashSet<>();
        missing.forEach(p -> packages.add(p.debianPackage()));
        List<String> argv = new ArrayList<>(List.of("apt-get", "install", "-y", "-q", "--no-install-recommends"));
        argv.addAll(packages);
        try {
            CommandResult update = runner.run(apt(List.of("apt-get", "update", "-q")), log);
            if (!update.succeeded()) {
                LOG.warn("sandbox: apt-get update exited {}: {}", update.exitCode(), update.stderrTail());
            }
            CommandResult r = runner.run(apt(argv), log);
            if (!r.succeeded()) {
                return String.join(" ", argv) + " exited " + r.exitCode() + ": " + lastLines(r.stderrTail());
            }
            LOG.warn("sandbox: installed {}", String.join(" ", packages));
            return null;
        } catch (RuntimeException e) {
            return String.join(" ", argv) + " failed: " + e.getMessage();
        }
    }

    private static CommandSpec apt(List<String> argv) {
        return CommandSpec.of(argv).env("DEBIAN_FRONTEND", "noninteractive").timeout(Duration.ofMinutes(15)).build();
    }

    static String installLine(List<Prerequisite> missing) {
        Set<String> packages = new LinkedHashSet<>();
        missing.forEach(p -> packages.add(p.debianPackage()));
        return "apt-get install -y " + String.join(" ", packages);
    }

    private static String describe(List<Prerequisite> ps) {
        List<String> parts = new ArrayList<>();
        for (Prerequisite p : ps) {
            parts.add(p.tool().name() + " (" + p.why() + ")");
        }
        return String.join(", ", parts);
    }

    private static String lastLines(String text) {
        String[] lines = text.strip().split("\n");
        int from = Math.max(0, lines.length - 3);
        return String.join(" / ", java.util.Arrays.asList(lines).subList(from, lines.length));
    }
}
