package io.opsflow.sandbox.faults;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.stream.Stream;

import org.apache.sshd.server.Environment;
import org.apache.sshd.server.ExitCallback;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.command.Command;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.opsflow.sandbox.SandboxFleet;
import io.opsflow.sandbox.SandboxHost;

/**
 * Faults injected into the sandbox's hosts, per host and optionally at one step (the program an exec request runs,
 * e.g. {@code release-activate.sh}, and a pattern over its arguments):
 * <ul>
 * <li>{@link Kind#REFUSE_SSH}: the host refuses SSH (new connections are closed at once, open sessions closed) —
 * from now on, or from the Nth matching command on;</li>
 * <li>{@link Kind#HANG}: the matching command never returns (a real {@code sleep} in the command's process group,
 * marked in its environment so {@link #hungProcesses} finds it) until the client kills it or the channel closes;</li>
 * <li>{@link Kind#FAIL_NTH}: the Nth matching command exits {@value #FAIL_EXIT} with a clear stderr instead of
 * running;</li>
 * <li>{@link Kind#KILL_INSTANCE}: an application instance on the host is killed ({@code SIGKILL}) — at once, or right
 * after the Nth matching command has completed (the host changed, then its instance died).</li>
 * </ul>
 * {@code times} (default 1; 0 = no limit) is how many matching commands fire from the Nth on. Set and cleared through
 * this class or {@code /api/sandbox/faults} (administrators, sandbox mode only).
 */
public final class SandboxFaults implements SandboxHost.Hooks {
    private static final Logger LOG = LoggerFactory.getLogger(SandboxFaults.class);
    public static final int FAIL_EXIT = 97;
    /** The environment marker of a hung command's processes: {@code hang:<host>:<fault id>}. */
    public static final String MARKER = "OPSFLOW_SANDBOX_FAULT";
    /** The wrapper opsflow's SSH client puts in front of every command (it reports the process group). */
    private static final Pattern PGID_PREFIX = Pattern.compile("^(echo \"@opsflow-pgid:\\$\\$\" >&2; )");
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
    private static final int MAX_NTH = 1_000_000;

    /** What a fault does. */
    public enum Kind {
        REFUSE_SSH, HANG, FAIL_NTH, KILL_INSTANCE;

        /** {@code refuse-ssh}, {@code hang}, {@code fail-nth}, {@code kill-instance}. */
        public String id() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        public static Kind parse(String s) {
            for (Kind k : values()) {
                if (k.id().equals(s) || k.name().equals(s)) {
                    return k;
                }
            }
            throw new IllegalArgumentException("kind must be one of " + Arrays.stream(values()).map(Kind::id).toList()
                    + ": '" + s + "'");
        }
    }

    /**
     * A fault to set. {@code command}: a regular expression the program's file name (a worker's: its script's name,
     * see {@link #program}) must match entirely (null: any
     * command); {@code args}: a regular expression found in its arguments (null: any); {@code nth} ≥ 1 (default 1);
     * {@code times} ≥ 0 (default 1, 0 = every matching command from the Nth on); {@code application} (default
     * {@code webapp}) and {@code instance} (null: all of the application's instances on the host): kill-instance only.
     */
    public record Spec(String host, Kind kind, String command, String args, Integer nth, Integer times,
                       String application, String instance) {
        public static Spec of(String host, Kind kind) {
            return new Spec(host, kind, null, null, null, null, null, null);
        }

        public Spec at(String commandRegex) {
            return new Spec(host, kind, commandRegex, args, nth, times, application, instance);
        }

        public Spec withArgs(String argsRegex) {
            return new Spec(host, kind, command, argsRegex, nth, times, application, instance);
        }

        public Spec nth(int n) {
            return new Spec(host, kind, command, args, n, times, application, instance);
        }

        public Spec times(int t) {
            return new Spec(host, kind, command, args, nth, t, application, instance);
        }

        public Spec instance(String app, String inst) {
            return new Spec(host, kind, command, args, nth, times, app, inst);
        }
    }

    /** A fault in place, with what it has done so far. */
    public static final class Fault {
        private final String id;
        private final String host;
        private final Kind kind;
        private final Pattern command;
        private final Pattern args;
        private final int nth;
        private final int times;
        private final String application;
        private final String instance;
        private int matched;
        private int fired;
        private boolean refusing;
        private final List<String> log = new ArrayList<>();

        Fault(String id, String host, Kind kind, Pattern command, Pattern args, int nth, int times, String application,
              String instance) {
            this.id = id;
            this.host = host;
            this.kind = kind;
            this.command = command;
            this.args = args;
            this.nth = nth;
            this.times = times;
            this.application = application;
            this.instance = instance;
        }

        public String id() {
            return id;
        }

        public String host() {
            return host;
        }

        public Kind kind() {
            return kind;
        }

        public synchronized int fired() {
            return fired;
        }

        public synchronized int matched() {
            return matched;
        }

        /** One line per time the fault fired: what it did. */
        public synchronized List<String> events() {
            return List.copyOf(log);
        }

        boolean matches(String program, String arguments) {
            return (command == null || command.matcher(program).matches())
                    && (args == null || args.matcher(arguments).find());
        }

        /** Counts a matching command; true when this one fires. */
        synchronized boolean count() {
            matched++;
            if (matched >= nth && (times == 0 || fired < times)) {
                fired++;
                return true;
            }
            return false;
        }

        synchronized void event(String what) {
            log.add(what);
        }

        synchronized Map<String, Object> describe() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", id);
            m.put("host", host);
            m.put("kind", kind.id());
            m.put("command", command == null ? null : command.pattern());
            m.put("args", args == null ? null : args.pattern());
            m.put("nth", nth);
            m.put("times", times);
            if (kind == Kind.KILL_INSTANCE) {
                m.put("application", application);
                m.put("instance", instance);
            }
            m.put("matched", matched);
            m.put("fired", fired);
            m.put("refusing", refusing);
            m.put("events", List.copyOf(log));
            return m;
        }
    }

    private final SandboxFleet fleet;
    private final List<Fault> faults = new ArrayList<>();
    private final AtomicLong ids = new AtomicLong();

    public SandboxFaults(SandboxFleet fleet) {
        this.fleet = fleet;
        fleet.hostHooks(this);
    }

    // ------------------------------------------------------------------ the Java API

    /** Validates and sets a fault; a bad spec throws {@link IllegalArgumentException} and changes nothing. */
    public Fault set(Spec spec) {
        if (spec == null || spec.host() == null || spec.host().isBlank()) {
            throw new IllegalArgumentException("host is required");
        }
        SandboxHost host = fleet.host(spec.host()).orElseThrow(() -> new IllegalArgumentException(
                "the sandbox has no host '" + spec.host() + "' (it has " + hostNames() + ")"));
        if (spec.kind() == null) {
            throw new IllegalArgumentException("kind is required: one of "
                    + Arrays.stream(Kind.values()).map(Kind::id).toList());
        }
        Pattern command = regex("command", spec.command());
        Pattern args = regex("args", spec.args());
        int nth = spec.nth() == null ? 1 : spec.nth();
        if (nth < 1 || nth > MAX_NTH) {
            throw new IllegalArgumentException("nth must be 1.." + MAX_NTH + ": " + nth);
        }
        int times = spec.times() == null ? 1 : spec.times();
        if (times < 0 || times > MAX_NTH) {
            throw new IllegalArgumentException("times must be 0 (no limit).." + MAX_NTH + ": " + times);
        }
        String application = null;
        String instance = null;
        if (spec.kind() == Kind.KILL_INSTANCE) {
            application = spec.application() == null ? "webapp" : spec.application();
            instance = spec.instance();
            if (!NAME.matcher(application).matches() || instance != null && !NAME.matcher(instance).matches()) {
                throw new IllegalArgumentException("application and instance must match " + NAME.pattern());
            }
            boolean now = command == null && spec.args() == null && (spec.nth() == null || spec.nth() == 1);
            // a kill at a step may hit an application the run itself installs; a kill now needs it there
            if (now && !Files.isDirectory(host.root().resolve("apps").resolve(application))) {
                throw new IllegalArgumentException("host " + spec.host() + " has no application " + application);
            }
        } else if (spec.application() != null || spec.instance() != null) {
            throw new IllegalArgumentException("application and instance apply to kill-instance only");
        }
        Fault f = new Fault("f" + ids.incrementAndGet(), spec.host(), spec.kind(), command, args, nth, times,
                application, instance);
        synchronized (this) {
            faults.add(f);
        }
        LOG.warn("sandbox fault {} set: {}", f.id, f.describe());
        boolean now = command == null && args == null && nth == 1;
        if (now && f.kind == Kind.REFUSE_SSH && f.count()) {
            refuse(f, host, "set");
        } else if (now && f.kind == Kind.KILL_INSTANCE && f.count()) {
            f.event(killInstances(f));
        }
        return f;
    }

    /** Removes a fault; false when there is none with that id. */
    public synchronized boolean clear(String id) {
        return faults.removeIf(f -> f.id.equals(id));
    }

    /** Removes every fault of a host (unknown host: {@link IllegalArgumentException}); how many. */
    public synchronized int clearHost(String host) {
        if (fleet.host(host).isEmpty()) {
            throw new IllegalArgumentException("the sandbox has no host '" + host + "' (it has " + hostNames() + ")");
        }
        int before = faults.size();
        faults.removeIf(f -> f.host.equals(host));
        return before - faults.size();
    }

    public synchronized int clearAll() {
        int n = faults.size();
        faults.clear();
        return n;
    }

    public synchronized List<Fault> list() {
        return List.copyOf(faults);
    }

    public synchronized java.util.Optional<Fault> get(String id) {
        return faults.stream().filter(f -> f.id.equals(id)).findFirst();
    }

    /** A fault as the API shows it, with the live processes of its hung commands. */
    public Map<String, Object> describe(Fault f) {
        Map<String, Object> m = f.describe();
        if (f.kind == Kind.HANG) {
            m.put("hungProcesses", hungProcesses(f.host).stream().filter(p -> p.faultId().equals(f.id)).toList());
        }
        return m;
    }

    /** A process of a hung command still in the process table. */
    public record HungProcess(long pid, String host, String faultId, String commandLine) {
    }

    /**
     * The processes of hung commands on {@code host} still alive: every process whose environment carries
     * {@value #MARKER}{@code =hang:<host>:…} (read from {@code /proc/<pid>/environ}; empty where there is no /proc).
     */
    public static List<HungProcess> hungProcesses(String host) {
        String prefix = MARKER + "=hang:" + host + ":";
        List<HungProcess> out = new ArrayList<>();
        try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
            all.forEach(p -> {
                try {
                    byte[] env = Files.readAllBytes(Path.of("/proc", String.valueOf(p.pid()), "environ"));
                    for (String e : new String(env, StandardCharsets.UTF_8).split("\0")) {
                        if (e.startsWith(prefix) && p.isAlive()) {
                            out.add(new HungProcess(p.pid(), host, e.substring(prefix.length()),
                                    p.info().commandLine().orElse("?")));
                        }
                    }
                } catch (IOException | RuntimeException ignored) {
                    // gone, another user's, or no /proc
                }
            });
        }
        return out;
    }

    /**
     * Kills the application's instances on the host now (as the kill-instance fault does), for tests; what it killed.
     */
    public String killInstanceNow(String host, String application, String instance) {
        Fault f = set(Spec.of(host, Kind.KILL_INSTANCE).instance(application, instance));
        clear(f.id);
        return String.join("; ", f.events());
    }

    // ------------------------------------------------------------------ the hooks

    @Override
    public boolean refuseConnection(String host) {
        synchronized (this) {
            for (Fault f : faults) {
                if (f.host.equals(host) && f.kind == Kind.REFUSE_SSH && f.refusing) {
                    LOG.info("sandbox fault {}: {} refuses an SSH connection", f.id, host);
                    return true;
                }
            }
        }
        return false;
    }

    /** A worker's copy on a host is {@code <script>-<sha256>} (WorkerScripts): faults name the script. */
    private static final Pattern CONTENT_ADDRESS = Pattern.compile("-[0-9a-f]{64}$");

    /**
     * The name a fault's {@code command} matches: the file name of the program an exec request runs, quotes removed,
     * and for a worker its script's name without the content address of its copy ({@code release-activate.sh} for
     * {@code .opsflow/workers/release-activate.sh-<sha256>}).
     */
    static String program(String firstWord) {
        String first = firstWord.replace("'", "");
        return CONTENT_ADDRESS.matcher(first.substring(first.lastIndexOf('/') + 1)).replaceFirst("");
    }

    @Override
    public Command command(String host, ChannelSession channel, String command, Command normal,
                           Function<String, Command> run) {
        if (command == null) {
            return normal;
        }
        Matcher pm = PGID_PREFIX.matcher(command);
        String prefix = pm.find() ? pm.group(1) : "";
        String rest = command.substring(prefix.length()).strip();
        int sp = rest.indexOf(' ');
        String program = program(sp < 0 ? rest : rest.substring(0, sp));
        String arguments = sp < 0 ? "" : rest.substring(sp + 1);
        Fault firing = null;
        synchronized (this) {
            for (Fault f : faults) {
                if (f.host.equals(host) && f.matches(program, arguments) && f.count()) {
                    firing = f;
                    break;
                }
            }
        }
        if (firing == null) {
            return normal;
        }
        Fault f = firing;
        String what = program + " (matching command " + f.matched() + ")";
        switch (f.kind) {
            case REFUSE_SSH -> {
                SandboxHost h = fleet.host(host).orElse(null);
                return new Refused(() -> refuse(f, h, what));
            }
            case HANG -> {
                f.event("hung " + what);
                LOG.warn("sandbox fault {}: {} hangs", f.id, what);
                return run.apply(prefix + MARKER + "=hang:" + host + ":" + f.id + " sleep 2147483647 & wait");
            }
            case FAIL_NTH -> {
                String message = "opsflow sandbox fault " + f.id + ": " + what + " failed (injected fail-nth, exit "
                        + FAIL_EXIT + ")";
                f.event("failed " + what);
                LOG.warn("{}", message);
                return run.apply(prefix + "printf '%s\\n' '" + message.replace("'", "") + "' >&2; exit " + FAIL_EXIT);
            }
            case KILL_INSTANCE -> {
                return new AfterExit(normal, () -> f.event("after " + what + ": " + killInstances(f)));
            }
            default -> throw new IllegalStateException(f.kind.toString());
        }
    }

    private void refuse(Fault f, SandboxHost host, String what) {
        synchronized (f) {
            f.refusing = true;
        }
        f.event("refusing SSH from " + what + " on");
        LOG.warn("sandbox fault {}: {} refuses SSH from {} on", f.id, f.host, what);
        if (host != null) {
            host.closeSessions();
        }
    }

    private String killInstances(Fault f) {
        Path appDir = fleet.hostRoot(f.host).resolve("apps").resolve(f.application);
        Path root = fleet.hostRoot(f.host).toAbsolutePath().normalize();
        List<String> killed = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(appDir.resolve("instances"))) {
            for (Path dir : dirs.sorted().toList()) {
                String inst = dir.getFileName().toString();
                if (f.instance != null && !f.instance.equals(inst)) {
                    continue;
                }
                long pid = pid(dir.resolve("run/app.pid"));
                ProcessHandle p = pid > 0 ? ProcessHandle.of(pid).orElse(null) : null;
                // only a process of this host's releases: never a pid reused by something else
                if (p != null && p.info().commandLine().orElse("").contains(root.toString())) {
                    p.destroyForcibly();
                    killed.add(f.application + " " + inst + " (pid " + pid + ")");
                }
            }
        } catch (IOException e) {
            return "no instances of " + f.application + " on " + f.host + " (" + e.getMessage() + ")";
        }
        LOG.warn("sandbox fault {}: killed {} on {}", f.id, killed, f.host);
        return killed.isEmpty() ? "no running instance of " + f.application + " to kill on " + f.host
                : "killed " + String.join(", ", killed) + " on " + f.host;
    }

    private static long pid(Path pidFile) {
        try {
            String s = Files.readString(pidFile, StandardCharsets.UTF_8).strip();
            return s.matches("[1-9][0-9]{0,9}") ? Long.parseLong(s) : -1;
        } catch (IOException e) {
            return -1;
        }
    }

    private List<String> hostNames() {
        return fleet.allHosts().stream().map(SandboxFleet.FleetHost::name).toList();
    }

    private static Pattern regex(String field, String value) {
        if (value == null || value.isEmpty()) {
            return null;
        }
        if (value.length() > 500) {
            throw new IllegalArgumentException(field + " must be at most 500 characters");
        }
        try {
            return Pattern.compile(value);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException(field + " is not a regular expression: " + e.getDescription()
                    + " in '" + value + "'");
        }
    }

    // ------------------------------------------------------------------ commands a fault serves

    /** Closes the session (the host went away mid-command) and never reports an exit status. */
    private static final class Refused implements Command {
        private final Runnable refuse;

        Refused(Runnable refuse) {
            this.refuse = refuse;
        }

        @Override
        public void start(ChannelSession channel, Environment env) {
            refuse.run();
            channel.getSession().close(true);
        }

        @Override
        public void destroy(ChannelSession channel) {
            // nothing runs
        }

        @Override
        public void setInputStream(InputStream in) {
        }

        @Override
        public void setOutputStream(OutputStream out) {
        }

        @Override
        public void setErrorStream(OutputStream err) {
        }

        @Override
        public void setExitCallback(ExitCallback callback) {
        }
    }

    /** Runs the command as usual; when it has exited, runs {@code after} before the client learns its status. */
    private static final class AfterExit implements Command {
        private final Command delegate;
        private final Runnable after;

        AfterExit(Command delegate, Runnable after) {
            this.delegate = delegate;
            this.after = after;
        }

        @Override
        public void setExitCallback(ExitCallback callback) {
            delegate.setExitCallback(new ExitCallback() {
                @Override
                public void onExit(int exitValue, String exitMessage, boolean closeImmediately) {
                    after.run();
                    callback.onExit(exitValue, exitMessage, closeImmediately);
                }
            });
        }

        @Override
        public void start(ChannelSession channel, Environment env) throws IOException {
            delegate.start(channel, env);
        }

        @Override
        public void destroy(ChannelSession channel) throws Exception {
            delegate.destroy(channel);
        }

        @Override
        public void setInputStream(InputStream in) {
            delegate.setInputStream(in);
        }

        @Override
        public void setOutputStream(OutputStream out) {
            delegate.setOutputStream(out);
        }

        @Override
        public void setErrorStream(OutputStream err) {
            delegate.setErrorStream(err);
        }
    }
}
