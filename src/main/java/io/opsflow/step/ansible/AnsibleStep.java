package io.opsflow.step.ansible;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.springframework.stereotype.Component;

import io.opsflow.environments.Environment;
import io.opsflow.step.exec.CommandResult;
import io.opsflow.step.exec.CommandRunner;
import io.opsflow.step.exec.CommandSpec;
import io.opsflow.step.exec.StepLog;
import io.opsflow.step.exec.StepLogs;

/**
 * Runs the real {@code ansible-playbook}:
 * <pre>ansible-playbook -i &lt;inventory&gt; [--limit &lt;pattern&gt;] -e @&lt;extra-vars file&gt; [--check --diff] &lt;playbook&gt;</pre>
 * with {@code ANSIBLE_CONFIG=ansible/ansible.cfg}, {@code ANSIBLE_HOST_KEY_CHECKING=True} (False only when the
 * run says so), the machine-readable {@code opsflow_jsonl} stdout callback, no colours and no retry files.
 * Output streams line by line into the step log as it comes.
 *
 * <p>Outcomes: a {@link PlaybookResult} whenever the play recap was reached (tasks failed or hosts unreachable are
 * in it; see {@link PlaybookResult#requireSuccess()}); {@link AnsibleRunException} when ansible-playbook ended
 * without a recap (syntax error, bad inventory, no host matched); the exec package's
 * {@code BinaryNotFoundException} / {@code CommandTimeoutException} for a missing binary and a timeout.
 */
@Component
public class AnsibleStep {
    public static final String CALLBACK = "opsflow_jsonl";

    private final CommandRunner runner;
    private final AnsibleProperties props;

    public AnsibleStep(CommandRunner runner, AnsibleProperties props) {
        this.runner = runner;
        this.props = props;
    }

    public AnsibleProperties properties() {
        return props;
    }

    public PlaybookResult runPlaybook(AnsibleRun run) {
        return runPlaybook(run, StepLogs.noop());
    }

    public PlaybookResult runPlaybook(AnsibleRun run, StepLog log) {
        Path tmp = null;
        try {
            tmp = createPrivateTempDir();
            Path varsFile = tmp.resolve("extra-vars.yml");
            ExtraVarsFile.write(varsFile, run.extraVars());
            CommandSpec spec = CommandSpec.of(argv(run, varsFile))
                    .cwd(props.ansibleDir())
                    .env(environment(run))
                    .timeout(run.timeout() != null ? run.timeout() : props.getTimeout())
                    .build();
            log.info("ansible-playbook " + run.playbook().getFileName() + " on " + run.inventory()
                    + (run.limit() == null ? "" : " limit " + run.limit()) + (run.checkMode() ? " (--check --diff)" : "")
                    + ", extra vars: " + String.join(", ", run.extraVars().keySet()));
            CommandResult r = runner.run(spec, log);
            PlaybookOutputParser.Parsed p = PlaybookOutputParser.parse(r.stdout(), props.getMaxDiffChars());
            if (p.stats() == null) {
                throw new AnsibleRunException(r.exitCode(), r.maskedArgv(), r.stderrTail());
            }
            PlaybookResult result = new PlaybookResult(r.exitCode(), p.stats(), p.failures(), p.unreachable(),
                    p.diffs(), run.checkMode());
            if (r.exitCode() != 0 && result.failedHosts().isEmpty() && result.unreachableHosts().isEmpty()) {
                throw new AnsibleRunException(r.exitCode(), r.maskedArgv(), r.stderrTail());
            }
            log.info("ansible-playbook exit " + r.exitCode() + ": " + result.summary());
            return result;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the extra-vars file for ansible-playbook", e);
        } finally {
            deleteQuietly(tmp);
        }
    }

    /** The exact argv: {@code ansible-playbook -i INV [--limit X] -e @FILE [--check --diff] PLAYBOOK}. */
    public List<String> argv(AnsibleRun run, Path extraVarsFile) {
        List<String> argv = new ArrayList<>();
        argv.add(props.getBinary());
        argv.add("-i");
        argv.add(run.inventory().toAbsolutePath().normalize().toString());
        if (run.limit() != null) {
            argv.add("--limit");
            argv.add(run.limit());
        }
        argv.add("-e");
        argv.add("@" + extraVarsFile.toAbsolutePath());
        if (run.checkMode()) {
            argv.add("--check");
            argv.add("--diff");
        }
        argv.add(run.playbook().toAbsolutePath().normalize().toString());
        return argv;
    }

    /** Environment additions on top of the runner's allow-list. */
    public Map<String, String> environment(AnsibleRun run) {
        Map<String, String> env = new LinkedHashMap<>(run.extraEnv());
        env.put("ANSIBLE_CONFIG", props.configFile().toString());
        env.put("ANSIBLE_HOST_KEY_CHECKING", run.hostKeyChecking() ? "True" : "False");
        env.put("ANSIBLE_STDOUT_CALLBACK", CALLBACK);
        env.put("ANSIBLE_CALLBACK_PLUGINS", props.callbackPluginsDir().toString());
        env.put("ANSIBLE_NOCOLOR", "1");
        env.put("ANSIBLE_FORCE_COLOR", "0");
        env.put("ANSIBLE_RETRY_FILES_ENABLED", "False");
        env.put("PYTHONUNBUFFERED", "1");
        return env;
    }

    /**
     * The Ansible inventory of an environment ({@code opsflow.environments.<env>.ansible-inventory}): an absolute
     * path or one that exists as given, else relative to the ansible directory.
     */
    public Path inventory(Environment e) {
        String inv = e.ansibleInventory();
        if (inv == null || inv.isBlank()) {
            throw new IllegalStateException("environment " + e.name() + " has no Ansible inventory "
                    + "(opsflow.environments." + e.name() + ".ansible-inventory)");
        }
        Path p = Path.of(inv);
        if (p.isAbsolute() || Files.exists(p)) {
            return p.toAbsolutePath().normalize();
        }
        return props.ansibleDir().resolve(p).normalize();
    }

    /** A playbook by name from ansible/playbooks/: {@code [a-z0-9][a-z0-9-]*.yml}, nothing else. */
    public Path playbook(String name) {
        if (name == null || !name.matches("[a-z0-9][a-z0-9-]{0,99}\\.yml")) {
            throw new IllegalArgumentException("playbook: not a playbook name ([a-z0-9-]+.yml in "
                    + props.playbooksDir() + "): " + AnsibleRun.printable(name));
        }
        Path p = props.playbooksDir().resolve(name);
        if (!Files.isRegularFile(p)) {
            throw new IllegalArgumentException("playbook: no such playbook: " + p);
        }
        return p;
    }

    private static Path createPrivateTempDir() throws IOException {
        try {
            return Files.createTempDirectory("opsflow-ansible-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (UnsupportedOperationException e) {
            return Files.createTempDirectory("opsflow-ansible-");
        }
    }

    private static void deleteQuietly(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // temp dir: best effort
        }
    }

}
